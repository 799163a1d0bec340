import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { buildSnsPublish } from '../core/render/sns-message.ts';
import type { Clock, Notifier } from '../core/ports.ts';
import type { Notification } from '../core/ports.ts';

/**
 * Publishes to the alert topic with MessageStructure json (text for email, JSON for SQS, Lambda
 * and HTTPS subscribers). Never more than one publish a second per topic (faster risks the suspension of its email subscriptions):
 * email subscriptions are suspended above 10 messages a second. Throttling is retried by the SDK.
 */
export function createSnsNotifier(client: SNSClient, options: { topicArn: string; clock: Clock; minIntervalMs?: number }): Notifier {
  const interval = options.minIntervalMs ?? 1000;
  let last = Number.NEGATIVE_INFINITY;
  let queue = Promise.resolve();
  return {
    publish(n: Notification) {
      const run = queue.then(async () => {
        const wait = last + interval - options.clock.now().getTime();
        if (wait > 0) await options.clock.sleep(wait);
        last = options.clock.now().getTime();
        try {
          await client.send(new PublishCommand({ TopicArn: options.topicArn, ...buildSnsPublish(n) }));
        } catch (err) {
          // SNS refused the message itself (it is not retried): rather than lose the alert, send
          // a minimal one built from our template and the machine JSON, then let the error show.
          if (!/^InvalidParameter/.test((err as Error).name)) throw err;
          await client.send(
            new PublishCommand({
              TopicArn: options.topicArn,
              Subject: 'mailflow alert',
              Message: `mailflow could not send an alert as written (${(err as Error).name}). Its content:\n${JSON.stringify(n.json).slice(0, 200_000)}`,
            }),
          );
          throw err;
        }
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
