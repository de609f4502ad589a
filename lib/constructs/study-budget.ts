import * as budgets from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';

export interface StudyBudgetProps {
  /** Cost-allocation tag key and value that select the study's costs. */
  readonly tag: { readonly key: string; readonly value: string };
  readonly monthlyUsd: number;
  /** Percentages of the limit that alert (each on actual and on forecast spend). */
  readonly thresholdsPercent: number[];
  readonly alertEmails: string[];
}

/**
 * A monthly cost budget over the study's tag. The tag must be activated as a cost-allocation tag
 * in the billing console once per account; until then the budget reads zero (see README).
 */
export class StudyBudget extends Construct {
  constructor(scope: Construct, id: string, props: StudyBudgetProps) {
    super(scope, id);
    const subscribers = props.alertEmails.map((address) => ({ subscriptionType: 'EMAIL', address }));
    new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyUsd, unit: 'USD' },
        costFilters: { TagKeyValue: [`user:${props.tag.key}$${props.tag.value}`] },
      },
      notificationsWithSubscribers: props.thresholdsPercent.flatMap((threshold) =>
        (['ACTUAL', 'FORECASTED'] as const).map((notificationType) => ({
          notification: { comparisonOperator: 'GREATER_THAN', notificationType, threshold, thresholdType: 'PERCENTAGE' },
          subscribers,
        })),
      ),
    });
  }
}
