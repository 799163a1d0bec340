import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, TextWidget, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/adapters/runtime-config.ts';

const FIVE_MINUTES = Duration.minutes(5);

/** Ingest's own metrics (Powertools EMF, one series per tenant), summed over tenants by a search. */
const INGEST_METRICS = ['RowsRead', 'EventsCounted', 'RowsRejected', 'CasAttempts', 'UploadsRejected'];

/**
 * One CloudWatch dashboard with what the alarms watch and what ingest measures: function errors,
 * throttles and durations, the upload backlog and the dead-letter queues, SNS failures, and rows,
 * events, rejections, compare-and-swap attempts, alerts and publish failures.
 */
export class OperationsDashboard extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: {
      name: string;
      functions: Array<{ name: string; fn: IFunction }>;
      uploads: IQueue;
      deadLetters: IQueue;
      failures: IQueue;
      topic: ITopic;
    },
  ) {
    super(scope, id);
    const perFunction = (title: string, metric: (fn: IFunction) => Metric) =>
      new GraphWidget({ title, width: 8, left: props.functions.map((f) => metric(f.fn).with({ label: f.name, period: FIVE_MINUTES })) });
    const search = (metric: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,tenant} MetricName="${metric}"', 'Sum', 300))`,
        label: metric,
        period: FIVE_MINUTES,
      });
    // Counted per function without a tenant: summed over the functions that publish them.
    const ownCount = (metric: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service} MetricName="${metric}"', 'Sum', 300))`,
        label: metric,
        period: FIVE_MINUTES,
      });
    new Dashboard(this, 'Dashboard', {
      dashboardName: `${props.name}-operations`,
      widgets: [
        [
          new TextWidget({
            markdown: `# ${props.name}\nAlarms notify the alert topic. Failed uploads: \`mailflow failures list\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          perFunction('Errors', (fn) => fn.metricErrors({ statistic: 'Sum' })),
          perFunction('Throttles', (fn) => fn.metricThrottles({ statistic: 'Sum' })),
          perFunction('Duration p99', (fn) => fn.metricDuration({ statistic: 'p99' })),
        ],
        [
          new GraphWidget({
            title: 'Upload queue',
            width: 8,
            left: [props.uploads.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' })],
            right: [props.uploads.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' })],
          }),
          new GraphWidget({
            title: 'Dead letters',
            width: 8,
            left: [
              props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'uploads' }),
              props.failures.metricApproximateNumberOfMessagesVisible({
                period: FIVE_MINUTES,
                statistic: 'Maximum',
                label: 'scheduled runs, emails',
              }),
            ],
          }),
          new GraphWidget({
            title: 'Alerts',
            width: 8,
            left: [
              ownCount('AlertsPublished'),
              ownCount('PublishFailures'),
              ownCount('IngestErrors'),
              props.topic.metricNumberOfNotificationsFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
            ],
          }),
        ],
        [
          new GraphWidget({
            title: 'Rows and events (all tenants)',
            width: 12,
            left: INGEST_METRICS.slice(0, 2).map(search),
            right: INGEST_METRICS.slice(2).map(search),
          }),
          new GraphWidget({
            title: 'Ingest duration per upload',
            width: 12,
            left: [
              new MathExpression({
                expression: `MAX(SEARCH('{${METRICS_NAMESPACE},service,tenant} MetricName="IngestDuration"', 'Maximum', 300))`,
                label: 'IngestDuration (max, ms)',
                period: FIVE_MINUTES,
              }),
            ],
          }),
        ],
      ],
    });
  }
}
