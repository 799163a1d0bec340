import { App } from 'aws-cdk-lib';
import { MailflowStack } from './mailflow-stack.ts';

// Environment-agnostic (no account or region lookups), so `cdk synth` needs no credentials.
const app = new App();
new MailflowStack(app, 'Mailflow', {
  description: 'mailflow: message-trace ingestion, classification and alerts',
});
app.synth();
