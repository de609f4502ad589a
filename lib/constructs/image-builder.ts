import * as appstream from 'aws-cdk-lib/aws-appstream';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { AppStreamImage } from './appstream-fleet';

export interface ViewerImageBuilderProps {
  readonly name: string;
  readonly instanceType: string;
  /** Base image to install the viewer on. */
  readonly image: AppStreamImage;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * An image builder in a private subnet with no internet access, where an engineer installs the
 * viewer (from installers staged through the VPC) and snapshots the fleet image.
 */
export class ViewerImageBuilder extends Construct {
  readonly builder: appstream.CfnImageBuilder;

  constructor(scope: Construct, id: string, props: ViewerImageBuilderProps) {
    super(scope, id);
    this.builder = new appstream.CfnImageBuilder(this, 'Builder', {
      name: props.name,
      instanceType: props.instanceType,
      imageName: props.image.name,
      imageArn: props.image.arn,
      vpcConfig: {
        subnetIds: [props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds[0]],
        securityGroupIds: [props.securityGroup.securityGroupId],
      },
      enableDefaultInternetAccess: false,
      disableImdsv1: true,
    });
  }
}
