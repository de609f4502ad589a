/** The baseline for the synth benchmark: the smallest useful CDK app (one bucket), synthesized the same way. */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

// Same App options as bin/app.ts, so the two synthesize the same way.
const app = new App({ builtinCloudFormationValidation: false });
new s3.Bucket(new Stack(app, 'Minimal'), 'Bucket');
app.synth();
