import { DEFAULT_DATA_DIR, defineCommand } from '../command.ts';
import { SNSClient } from '@aws-sdk/client-sns';
import { createOutboxNotifier, outboxPath } from '../../adapters/outbox-notifier.ts';
import { createSnsNotifier } from '../../adapters/sns-notifier.ts';
import { parseRulesConfig, resolveTenant } from '../../core/rules/config.ts';
import { nextIncident } from '../../core/rules/incident.ts';
import { renderAlert } from '../../core/render/alert.ts';
import { systemClock } from '../../core/ports.ts';
import { parseLang } from '../args.ts';

export const TEST_ALERT_HELP = `Usage: mailflow test-alert [--topic-arn ARN] [--data-dir D] [--lang en|it]

Sends a sample alert (a made-up 4.4.316 incident) so you can check that alerts arrive: through
the SNS topic with --topic-arn (your AWS credentials; the stack output AlertTopicArn), otherwise
to the terminal and <data-dir>/outbox.jsonl.
`;

export const testAlertCommand = defineCommand({
  name: 'test-alert',
  help: TEST_ALERT_HELP,
  options: { 'topic-arn': { type: 'string' }, 'data-dir': { type: 'string' }, lang: { type: 'string' } },
  positionals: false,
  async run({ values, io }) {
    const lang = parseLang(values.lang) ?? 'en';
    const { rules, settings } = resolveTenant(parseRulesConfig({ defaults: { language: lang } }), 'sample');
    const rule = rules.find((r) => r.id === 'connector-codes')!;
    const incident = nextIncident(null, 42, rule, new Date(), { tenant: 'sample', group: { destination: 'mail.contoso.example' } })!;
    const alert = renderAlert(incident, 'open', rule, settings, '4.4.316');
    const sample = { ...alert, subject: `[mailflow] TEST ${alert.subject.replace('[mailflow] ', '')}` };
    const notifier = values['topic-arn']
      ? createSnsNotifier(new SNSClient({}), { topicArn: values['topic-arn'], clock: systemClock })
      : createOutboxNotifier({ path: outboxPath(values['data-dir'] ?? DEFAULT_DATA_DIR), print: io.stdout });
    await notifier.publish(sample);
    io.stderr.write(
      values['topic-arn'] ? `sent to ${values['topic-arn']}\n` : `written to ${outboxPath(values['data-dir'] ?? DEFAULT_DATA_DIR)}\n`,
    );
    return 0;
  },
});
