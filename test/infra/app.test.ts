import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MailflowStack } from '../../infra/mailflow-stack.ts';

describe('MailflowStack (skeleton)', () => {
  const template = Template.fromStack(new MailflowStack(new App(), 'Test'));

  it('keeps the data bucket private, encrypted, versioned and TLS-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policy = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
    expect(policy).toContain('aws:SecureTransport');
    expect(policy).toContain('s3:TlsVersion');
  });

  it('outputs the bucket name', () => {
    template.hasOutput('BucketName', { Value: Match.anyValue() });
  });
});
