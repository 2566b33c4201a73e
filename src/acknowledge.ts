import { Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { renderReference } from './render-reference';

/** The prefix `Validations.acknowledge` gives an ID that names no plugin. */
const ANNOTATION_PREFIX = 'Annotation::';

/**
 * Records why a security check's finding does not apply to one construct (and its children), in CDK's own
 * validation acknowledgements, so cdk-nag and other policy plugins honour it without this library depending on
 * any of them.
 *
 * The metadata is written as `Validations.acknowledge` writes it from aws-cdk-lib 2.269 on. Earlier versions, which
 * this library supports, refuse any `::` but the one after a plugin's prefix, and cdk-nag's finding IDs carry one
 * inside their brackets (`AwsSolutions-IAM5[Resource::<Bucket.Arn>]`).
 */
export function acknowledge(scope: IConstruct, ruleId: string, reason: string) {
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [`${ANNOTATION_PREFIX}${ruleId}`]: reason });
}

/**
 * Acknowledges the wildcard-resource finding (AwsSolutions-IAM5) for exactly these resources and no others.
 * cdk-nag names each such finding by the resource as it appears in the template, which `renderReference` writes.
 *
 * Each is named twice when a resource is another stack's. Before synthesis prepares the app, the reference is the
 * other stack's own (`<Bucket.Arn>`); that is what cdk-nag sees run as an aspect or through `validateScope`, and what
 * its `writeSuppressionsToCloudFormation` writes. Once prepared, it has become the `Fn::ImportValue` that the
 * template holds, which is what cdk-nag sees as a policy validation plugin; validation runs after that and before any
 * plugin, so that form is added then. For a resource of the same stack both forms are the same, and it is named once.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: string[], reason: string) {
  const stack = Stack.of(scope);
  const ruleIdFor = (resource: string) => `AwsSolutions-IAM5[Resource::${renderReference(stack.resolve(resource))}]`;
  for (const resource of resources) {
    acknowledge(scope, ruleIdFor(resource), reason);
  }
  scope.node.addValidation({
    validate: () => {
      for (const resource of resources) {
        acknowledgeOnce(scope, ruleIdFor(resource), reason);
      }
      return [];
    },
  });
}

/** As `acknowledge`, unless `scope` already acknowledges the rule: the same form, or an app validated again. */
function acknowledgeOnce(scope: IConstruct, ruleId: string, reason: string) {
  const acknowledged = scope.node.metadata.some((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    && Object.keys(entry.data).includes(`${ANNOTATION_PREFIX}${ruleId}`));
  if (!acknowledged) {
    acknowledge(scope, ruleId, reason);
  }
}

/** How cdk-nag's AwsSolutions-L1 splits a runtime's name into its family and its version. */
const RUNTIME_NAME = /^([a-z]+)(\d+(\.?\d+|\.x)?)?.*$/;

/**
 * Acknowledges AwsSolutions-L1 on `fn` when the aws-cdk-lib in use knows a newer runtime of its family. The rule
 * takes the newest from `lambda.Runtime.ALL`, which grows with each aws-cdk-lib release, so on one newer than this
 * library was built against the function would get a finding its user cannot fix: its runtime is the one its bundle
 * is built and tested for. Where the function's runtime is the newest, no finding needs the acknowledgement.
 */
export function acknowledgeOlderRuntime(fn: lambda.Function, reason: string) {
  if (newestOfFamily(fn.runtime.name) !== fn.runtime.name) {
    acknowledge(fn, 'AwsSolutions-L1', reason);
  }
}

/** The runtime of `runtimeName`'s family that AwsSolutions-L1 counts as the newest, chosen as cdk-nag chooses it. */
function newestOfFamily(runtimeName: string): string | undefined {
  const family = runtimeName.match(RUNTIME_NAME)?.[1];
  if (family === undefined) {
    return undefined;
  }
  const versions = lambda.Runtime.ALL.map((runtime) => runtime.toString())
    .filter((name) => name.startsWith(family))
    .map((name) => ({ name, version: name.match(RUNTIME_NAME)?.[2] ?? '0' }))
    .sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true, sensitivity: 'base' }));
  return versions.pop()?.name;
}

/** SNS needs `kms:GenerateDataKey*` to publish to a topic encrypted with a key; CDK's topic grant names it so. */
export function acknowledgeGenerateDataKeyPrefix(scope: IConstruct) {
  acknowledge(scope, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    'kms:GenerateDataKey* is granted, as CDK\'s topic grant names it and SNS needs it to publish to an encrypted topic, only on the key that encrypts the topic.');
}
