import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from '../acknowledge';

/**
 * Who may call the pipeline's API. The API writes into your bucket and subscribes addresses to your topic,
 * so it is closed by default: opening it takes an explicit choice. Get one from `ApiAuthorization.iam()`,
 * `ApiAuthorization.cognito(userPool)` or `ApiAuthorization.none()`.
 */
export abstract class ApiAuthorization {
  /**
   * Callers sign requests with SigV4 using IAM credentials allowed `execute-api:Invoke` on the API, which the
   * pipeline's `grantUpload` and `grantSubscribe` give. API Gateway checks the signature over the path
   * percent-encoded a second time (`my%20photo.jpg` as `my%2520photo.jpg`): `curl --aws-sigv4` does that from
   * curl 8.14 on, while older curl signs the path as sent, so only filenames of `A-Z a-z 0-9 - . _ ~` pass. An AWS
   * SDK's signer (botocore's `SigV4Auth`, `@smithy/signature-v4`) signs any filename.
   */
  public static iam(): ApiAuthorization {
    return new ApiAuthorization.Iam();
  }

  /**
   * Callers send a Cognito user pool ID token in the `Authorization` header.
   *
   * @param userPool the pool whose users may call the API
   */
  public static cognito(userPool: cognito.IUserPool): ApiAuthorization {
    return new ApiAuthorization.Cognito(userPool);
  }

  /**
   * Anyone who knows the URL may upload and subscribe. Only throttling stands between the API and the
   * internet; choose it for demos, not for production.
   */
  public static none(): ApiAuthorization {
    return new ApiAuthorization.None();
  }

  private static readonly Iam = class extends ApiAuthorization {
    public readonly callerIdentity = 'context.identity.userArn';

    public bind(): apigw.MethodOptions {
      return { authorizationType: apigw.AuthorizationType.IAM };
    }

    public acknowledgeFindings(method: apigw.Method) {
      acknowledge(method, 'AwsSolutions-COG4',
        'The method is authorized with IAM (SigV4), the default; a Cognito authorizer is available through ApiAuthorization.cognito().');
    }
  };

  private static readonly Cognito = class extends ApiAuthorization {
    public readonly callerIdentity = 'context.authorizer.claims.sub';

    constructor(private readonly userPool: cognito.IUserPool) {
      super();
    }

    public bind(scope: Construct): apigw.MethodOptions {
      const authorizer = new apigw.CognitoUserPoolsAuthorizer(scope, 'Authorizer', { cognitoUserPools: [this.userPool] });
      return { authorizationType: apigw.AuthorizationType.COGNITO, authorizer };
    }

    public acknowledgeFindings() {
      // Cognito satisfies every authorization check: nothing to acknowledge.
    }
  };

  private static readonly None = class extends ApiAuthorization {
    public readonly callerIdentity = undefined;

    public bind(): apigw.MethodOptions {
      return { authorizationType: apigw.AuthorizationType.NONE };
    }

    public acknowledgeFindings(method: apigw.Method) {
      const reason = 'The construct\'s user chose ApiAuthorization.none() explicitly; the default is IAM authorization.';
      acknowledge(method, 'AwsSolutions-APIG4', reason);
      acknowledge(method, 'AwsSolutions-COG4', reason);
    }
  };

  /**
   * The API Gateway context variable that names the caller, without the `$`: `context.identity.userArn` for
   * `iam()`, `context.authorizer.claims.sub` for `cognito()`.
   *
   * @default - undefined for `none()`, whose API cannot know who calls it
   */
  public abstract readonly callerIdentity?: string;

  /**
   * Private, not protected: jsii records a protected constructor without parameters as a public one, so API.md and
   * Construct Hub would offer `new ApiAuthorization()`, which cannot work. The static factories are the way to get
   * one; the implementations they return are declared inside the class, where they may call this.
   */
  private constructor() {}

  /**
   * The method options every route of the API gets.
   *
   * @param scope where an authorizer, if one is needed, is created
   */
  public abstract bind(scope: Construct): apigw.MethodOptions;

  /**
   * Records, on the method, why a security check's finding does not apply to this choice.
   *
   * @param method a route of the API
   */
  public abstract acknowledgeFindings(method: apigw.Method): void;
}
