import * as appstream from 'aws-cdk-lib/aws-appstream';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { AppStreamImage } from './appstream-fleet';

export interface ViewerImageBuilderProps {
  readonly name: string;
  readonly instanceType: string;
  /** Base image to install the viewer on. */
  readonly image: AppStreamImage;
  /** Its own subnet, routed nowhere (`StudyNetwork.builderSubnet`): never one the scans are reachable from. */
  readonly subnet: ec2.ISubnet;
  /** Its own security group with no egress (`StudyNetwork.builderSecurityGroup`), not the fleet's. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * An image builder where an engineer installs the viewer and snapshots the fleet image. It sits
 * outside the scans perimeter: a builder session has its own clipboard and file transfer (the
 * stack's settings do not apply to it), so its subnet has no route to the S3 gateway endpoint and
 * its security group lets nothing out. Take `imageBuilder` out of the study file once the image
 * exists and deploy the reading stack, then the network (README, "Deploy and destroy"): that
 * deletes the builder, then its subnet and security group.
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
      vpcConfig: { subnetIds: [props.subnet.subnetId], securityGroupIds: [props.securityGroup.securityGroupId] },
      enableDefaultInternetAccess: false,
      disableImdsv1: true,
    });
  }
}
