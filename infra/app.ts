import { readFileSync } from 'node:fs';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readStage } from './config.ts';
import { MailflowStack } from './mailflow-stack.ts';

/**
 * The app: one stack per stage (`-c stage=NAME` deploys `Mailflow-NAME` beside the others),
 * environment-agnostic (no account or region lookups), so `cdk synth` needs no credentials.
 */
export function buildApp(app = new App()): { app: App; stack: MailflowStack } {
  const stage = readStage(app.node);
  const stack = new MailflowStack(app, stage ? `Mailflow-${stage}` : 'Mailflow', {
    description: `mailflow${stage ? ` (${stage})` : ''}: message-trace ingestion, classification and alerts`,
  });
  Tags.of(app).add('app', 'mailflow');
  Tags.of(app).add('stage', stage ?? 'default');
  // The security gate: synthesis fails on any finding that is not acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

/** The context `cdk` reads from cdk.json (feature flags included), for apps built outside the CLI (tests). */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
