import { Duration } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';

/** The alarms an operator of the pipeline needs, and where they go. */
export interface PipelineAlarmOptions {
  /** Every alarm notifies this topic when it goes into alarm and when it recovers. */
  readonly topic: sns.ITopic;

  /**
   * An upload waiting in the queue longer than this means the function is not keeping up, or is failing. From 1
   * minute to less than 4 days: the queue keeps an upload event 4 days, so it can never be older.
   *
   * @default Duration.minutes(15)
   */
  readonly maxUploadAge?: Duration;

  /**
   * Invocations that fail as a whole (crashes, timeouts), as a percentage of all, over 5 minutes: above 0 and at
   * most 100. Records that fail on their own are retried and counted by the dead-letter queue alarm instead.
   *
   * @default 5
   */
  readonly maxErrorRatePercent?: number;
}
