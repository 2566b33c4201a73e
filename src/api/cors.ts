import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** `allowedOrigins: ['*']`: every page may call the API. */
export const ANY_ORIGIN = '*';

/**
 * What a browser may send with a request: the headers SigV4 signers (the AWS SDKs' and `aws4fetch`) and Cognito
 * callers set. A preflight that asks for any other header fails.
 */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256', 'X-Amz-User-Agent'];

/** How long a browser may reuse a preflight's answer; browsers cap it lower (Chromium at 2 hours, Firefox at 24). */
export const CORS_MAX_AGE_SECONDS = 3600;

/**
 * The upload bucket's rule for the presigned POST. A form POST without headers of its own needs no preflight; S3
 * still answers with `Access-Control-Allow-Origin` only under a rule, and without it the page cannot see the outcome.
 */
export function uploadBucketCorsRule(origins: string[]): s3.CorsRule {
  return { allowedMethods: [s3.HttpMethods.POST], allowedOrigins: origins, maxAge: CORS_MAX_AGE_SECONDS };
}

const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';
const VARY = 'Vary';

/**
 * CORS for the API's routes, from origins that `validate` has checked (so each is safe inside a VTL string).
 *
 * API Gateway's integration responses pick the origin with VTL: the request's `Origin` when it is listed, else no
 * header. CDK's own `addCorsPreflight` answers an unlisted origin with the first listed one instead, so the preflights
 * here are made the same way as the other responses. Gateway responses run no VTL: a header there can copy the
 * request's `Origin` but not check it against the list, so echoing it would let every page read them. They name the
 * origin only when there is one (or `*`); with several they name none.
 */
export class ApiCors {
  private readonly anyOrigin: boolean;

  constructor(private readonly origins: string[]) {
    this.anyOrigin = origins.length === 1 && origins[0] === ANY_ORIGIN;
  }

  /** `response` with the headers that let a page at a listed origin read it. */
  public integrationResponse(response: apigw.IntegrationResponse): apigw.IntegrationResponse {
    if (this.anyOrigin) {
      return { ...response, responseParameters: { ...response.responseParameters, [methodHeader(ALLOW_ORIGIN)]: quoted(ANY_ORIGIN) } };
    }
    const templates = response.responseTemplates ?? { 'application/json': '' };
    return {
      ...response,
      responseParameters: { ...response.responseParameters, [methodHeader(VARY)]: quoted('Origin') },
      responseTemplates: Object.fromEntries(Object.entries(templates).map(([type, template]) => [type, `${this.originFilter()}${template}`])),
    };
  }

  /** The headers an integration response may set, declared on its method response as API Gateway requires. */
  public methodResponse(statusCode: string): apigw.MethodResponse {
    const headers = this.anyOrigin ? [ALLOW_ORIGIN] : [ALLOW_ORIGIN, VARY];
    return { statusCode, responseParameters: Object.fromEntries(headers.map((name) => [methodHeader(name), true])) };
  }

  /**
   * An `OPTIONS` method that answers the browser's preflight for `httpMethod`. It has no authorization: a browser
   * never signs a preflight or sends a token with it, so an authorized one would fail every call from a page.
   * cdk-nag's AwsSolutions-APIG4 and COG4 pass over such a method (APIG4 by its 204 with `Access-Control-Allow-*`
   * headers), so there is no finding to acknowledge.
   */
  public addPreflight(resource: apigw.IResource, httpMethod: string): apigw.Method {
    const statusCode = '204';
    const response = this.integrationResponse({
      statusCode,
      responseParameters: {
        [methodHeader('Access-Control-Allow-Methods')]: quoted(`${httpMethod},OPTIONS`),
        [methodHeader('Access-Control-Allow-Headers')]: quoted(CORS_ALLOWED_HEADERS.join(',')),
        [methodHeader('Access-Control-Max-Age')]: quoted(String(CORS_MAX_AGE_SECONDS)),
      },
    });
    return resource.addMethod('OPTIONS', new apigw.MockIntegration({
      requestTemplates: { 'application/json': JSON.stringify({ statusCode: 200 }) },
      integrationResponses: [response],
    }), {
      authorizationType: apigw.AuthorizationType.NONE,
      methodResponses: [{
        statusCode,
        responseParameters: Object.fromEntries([...Object.keys(response.responseParameters!), methodHeader(ALLOW_ORIGIN)]
          .map((name) => [name, true])),
      }],
    });
  }

  /** Gateway responses' headers: with no VTL to check the request's origin, only a sole origin or `*` can be named. */
  public gatewayResponseHeaders(): Record<string, string> | undefined {
    return this.origins.length === 1 ? { [ALLOW_ORIGIN]: quoted(this.origins[0]) } : undefined;
  }

  /**
   * VTL that sets the header to the request's `Origin` when it is listed. HTTP/2 sends header names in lower case,
   * and the map API Gateway gives VTL is keyed as sent. The pieces are joined without newlines, which would otherwise
   * become part of the body.
   */
  private originFilter(): string {
    return [
      '#set($origin = $input.params().header.get(\'Origin\'))',
      '#if("$!origin" == "")#set($origin = $input.params().header.get(\'origin\'))#end',
      `#if(${this.origins.map((origin) => `$origin == "${origin}"`).join(' || ')})`,
      `#set($context.responseOverride.header.${ALLOW_ORIGIN} = $origin)#end`,
    ].join('');
  }
}

function methodHeader(name: string): string {
  return `method.response.header.${name}`;
}

function quoted(value: string): string {
  return `'${value}'`;
}
