import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { MailflowStack } from './mailflow-stack.ts';

// Environment-agnostic (no account or region lookups), so `cdk synth` needs no credentials.
export function buildApp(app = new App()): { app: App; stack: MailflowStack } {
  // Access logs are delivered by bucket policy (ACLs are off: object ownership is enforced).
  app.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
  const stack = new MailflowStack(app, 'Mailflow', { description: 'mailflow: message-trace ingestion, classification and alerts' });
  // The security gate: synthesis fails on any finding that is not acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
