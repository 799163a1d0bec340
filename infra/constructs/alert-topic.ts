import { Aws, Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The alert topic, encrypted with its own key, TLS-only, and open to CloudWatch alarms. An
 * encrypted topic receives an alarm only if the key policy lets CloudWatch use the key and the
 * topic policy lets it publish: the deny-only policy that `enforceSSL` writes grants nothing.
 * Both grants are scoped to this account's alarms (aws:SourceAccount, aws:SourceArn).
 */
export class AlertTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  readonly action: SnsAction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'Key', { enableKeyRotation: true, description: 'mailflow alert topic' });
    this.topic = new Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true, displayName: 'mailflow alerts' });
    const cloudwatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const alarms = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`;
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsUseTheKey',
        effect: Effect.ALLOW,
        principals: [cloudwatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': alarms } },
      }),
    );
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        effect: Effect.ALLOW,
        principals: [cloudwatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnLike: { 'aws:SourceArn': alarms } },
      }),
    );
    this.action = new SnsAction(this.topic);
  }

  /** Publishing to the topic, whose messages the key encrypts: that topic and key only. */
  grantPublish(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }

  /** An alarm that notifies this topic. */
  alarm(scope: Construct, id: string, props: { description: string; metric: IMetric; threshold?: number }): Alarm {
    const a = new Alarm(scope, id, {
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold ?? 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    a.addAlarmAction(this.action);
    return a;
  }

  /**
   * Alarms each time a queue gains messages, not only the first time: the change of its visible
   * count over five minutes. (Messages moved there by a redrive policy do not count as "sent", so
   * NumberOfMessagesSent would stay at 0; and "≥ 1 visible" stays in alarm while nobody drains it.)
   */
  newMessagesAlarm(scope: Construct, id: string, queue: IQueue, description: string): Alarm {
    return this.alarm(scope, id, {
      description,
      metric: new MathExpression({
        expression: 'DIFF(visible)',
        usingMetrics: { visible: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }) },
        period: Duration.minutes(5),
        label: `new messages in ${queue.node.id}`,
      }),
    });
  }
}
