import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { app, SAMPLE, SIZES, stacks } from './pipeline.integ';

/** How the assertions' stack refers to a value of a test stack: by importing that stack's export of it. */
function imported(stack: Stack, value: string) {
  const outputs = Template.fromStack(stack).findOutputs('*', { Value: stack.resolve(value) });
  return { 'Fn::ImportValue': Object.values(outputs)[0]?.Export.Name };
}

describe('the integ test', () => {
  // integ-tests-alpha puts the assertions in a stack of their own, the only one that is not a test case.
  const assertionStack = app.node.findAll().filter(Stack.isStack).find((stack) => !(stacks as Stack[]).includes(stack))!;
  const assertions = Template.fromStack(assertionStack);

  test('every role that may HEAD the resized copies may GetObject them (and decrypt them), which is what HeadObject needs', () => {
    const headRoles = Object.values(assertions.findResources('AWS::IAM::Role', {
      Properties: { Policies: Match.arrayWith([Match.objectLike({ PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['s3:HeadObject'] })]) } })]) },
    }));
    expect(headRoles.length).toBeGreaterThan(0);
    for (const role of headRoles) {
      const statements = role.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
      for (const stack of stacks) {
        const bucketArn = imported(stack, stack.pipeline.resizedBucket.bucketArn);
        for (const size of SIZES) {
          expect(statements).toContainEqual({
            Effect: 'Allow',
            Action: ['s3:GetObject'],
            Resource: [{ 'Fn::Join': ['', [bucketArn, `/${size}/integ/${SAMPLE}`]] }],
          });
        }
        const key = stack.pipeline.encryptionKey;
        if (key) {
          expect(statements).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [imported(stack, key.keyArn)] });
        }
      }
    }
  });

  test.each(stacks.map((stack) => [stack.stackName, stack]))('%s uploads the sample only once the upload bucket notifies the queue', (_, stack) => {
    const template = Template.fromStack(stack);
    const notifications = Object.keys(template.findResources('Custom::S3BucketNotifications'));
    expect(notifications).toHaveLength(1);
    const samples = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    expect(samples).toHaveLength(1);
    expect(samples[0].DependsOn).toContain(notifications[0]);
  });
});
