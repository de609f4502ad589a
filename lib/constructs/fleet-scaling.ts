import { Duration, TimeZone } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import { Construct, IDependable } from 'constructs';

/** A grading window: on these weekdays between start and end, keep `capacity` instances warm. */
export interface GradingWindow {
  readonly name: string;
  readonly days: readonly string[];
  /** HH:MM, 24-hour, in the scaling time zone. */
  readonly start: string;
  readonly end: string;
  readonly capacity: number;
}

export interface FleetScalingProps {
  readonly fleetName: string;
  /** The fleet resource; the scalable target is registered after it exists. */
  readonly fleet: IDependable;
  /** Instances outside every window. */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Target capacity utilisation, percent. */
  readonly targetUtilizationPercent: number;
  /** @default - no scheduled actions, only target tracking */
  readonly windows?: readonly GradingWindow[];
  /** Time zone of the windows (IANA name). */
  readonly timeZone: string;
}

/**
 * Application Auto Scaling for an ALWAYS_ON or ON_DEMAND fleet: target tracking on capacity
 * utilisation keeps a free instance ready as readers arrive, and each grading window raises the
 * floor at its start and drops it back to the minimum at its end.
 */
export class FleetScaling extends Construct {
  readonly target: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: FleetScalingProps) {
    super(scope, id);
    this.target = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.APPSTREAM,
      resourceId: `fleet/${props.fleetName}`,
      scalableDimension: 'appstream:fleet:DesiredCapacity',
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
    });
    this.target.node.addDependency(props.fleet);

    this.target.scaleToTrackMetric('Utilization', {
      predefinedMetric: appscaling.PredefinedMetric.APPSTREAM_AVERAGE_CAPACITY_UTILIZATION,
      targetValue: props.targetUtilizationPercent,
      // Scale out fast (a reader is waiting), scale in slowly (sessions end in bursts).
      scaleOutCooldown: Duration.minutes(2),
      scaleInCooldown: Duration.minutes(15),
    });

    const timeZone = TimeZone.of(props.timeZone);
    for (const w of props.windows ?? []) {
      const at = (hhmm: string) => {
        const [hour, minute] = hhmm.split(':').map(Number);
        return appscaling.Schedule.cron({ minute: String(minute), hour: String(hour), weekDay: w.days.join(',') });
      };
      this.target.scaleOnSchedule(`${w.name}-start`, { schedule: at(w.start), timeZone, minCapacity: w.capacity });
      this.target.scaleOnSchedule(`${w.name}-end`, { schedule: at(w.end), timeZone, minCapacity: props.minCapacity });
    }
  }
}
