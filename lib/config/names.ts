/**
 * The physical names ReadRoom must choose itself. AppStream's CreateFleet/CreateStack require a
 * name, the CloudFormation stack names must not clash between studies in one account, and the
 * study key's policy names the trail (a generated name cannot be known before the key exists);
 * every other resource gets a CDK-generated name. Changing `studyId` replaces the fleet: treat it as fixed.
 */
export interface StudyNames {
  readonly networkStack: string;
  readonly dataStack: string;
  readonly readingStack: string;
  readonly fleet: string;
  readonly appStreamStack: string;
  readonly imageBuilder: string;
  readonly application: string;
  readonly appBlock: string;
  readonly trail: string;
}

export function studyNames(studyId: string): StudyNames {
  return {
    networkStack: `ReadRoom-${studyId}-Network`,
    dataStack: `ReadRoom-${studyId}-Data`,
    readingStack: `ReadRoom-${studyId}-Reading`,
    fleet: `readroom-${studyId}-fleet`,
    appStreamStack: `readroom-${studyId}`,
    imageBuilder: `readroom-${studyId}-builder`,
    application: `readroom-${studyId}-viewer`,
    appBlock: `readroom-${studyId}-viewer-block`,
    trail: `readroom-${studyId}-audit`,
  };
}
