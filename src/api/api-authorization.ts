import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/**
 * Who may call the pipeline's API. The API writes into your bucket and subscribes addresses to your topic,
 * so it is closed by default: opening it takes an explicit choice.
 */
export abstract class ApiAuthorization {
  /**
   * Callers sign requests with SigV4 (`curl --aws-sigv4`) using IAM credentials allowed `execute-api:Invoke`
   * on the API.
   */
  public static iam(): ApiAuthorization {
    return new IamAuthorization();
  }

  /** Callers send a Cognito user pool ID token in the `Authorization` header. */
  public static cognito(userPool: cognito.IUserPool): ApiAuthorization {
    return new CognitoAuthorization(userPool);
  }

  /**
   * Anyone who knows the URL may upload and subscribe. Only throttling stands between the API and the
   * internet; choose it for demos, not for production.
   */
  public static none(): ApiAuthorization {
    return new NoAuthorization();
  }

  /** The method options every route of the API gets. */
  public abstract bind(scope: Construct): apigw.MethodOptions;
}

class IamAuthorization extends ApiAuthorization {
  public bind(): apigw.MethodOptions {
    return { authorizationType: apigw.AuthorizationType.IAM };
  }
}

class CognitoAuthorization extends ApiAuthorization {
  constructor(private readonly userPool: cognito.IUserPool) {
    super();
  }

  public bind(scope: Construct): apigw.MethodOptions {
    const authorizer = new apigw.CognitoUserPoolsAuthorizer(scope, 'Authorizer', { cognitoUserPools: [this.userPool] });
    return { authorizationType: apigw.AuthorizationType.COGNITO, authorizer };
  }
}

class NoAuthorization extends ApiAuthorization {
  public bind(): apigw.MethodOptions {
    return { authorizationType: apigw.AuthorizationType.NONE };
  }
}
