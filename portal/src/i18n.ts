/**
 * The portal's strings in English and Korean, and dates and numbers through Intl in the page's
 * language. Every key exists in both languages (the type makes a missing one a compile error; a
 * test checks that the key sets are equal and no Korean value is left in English except those in
 * SAME_IN_BOTH). Placeholders are `{name}`. What the study writes (question and option labels,
 * its name) comes from GET /study in both languages; ids and codes from the server are data and
 * are shown as they are (`<Data>`).
 *
 * The server's error messages are English: the page words each error by its code (and a field's
 * problem by its rule) instead, so a Korean page never shows English.
 */
import { signal } from '@preact/signals-core';
import type { ApiError } from './api/client';
import type { Lang } from '../../domain/lang';
import type { Label, Question } from './form/engine';

export { pickLang, type Lang } from '../../domain/lang';

const en = {
  'app.name': 'ReadRoom',
  'app.skip': 'Skip to the main content',
  'app.switchTo': '한국어',
  'app.switchToLabel': 'Show the portal in Korean',
  'app.signOut': 'Sign out',
  'app.signOut.title': 'Answers not saved yet',
  'app.signOut.unsaved': 'Cases with answers the server has not saved yet: {count}. Signing out removes those answers from this browser.',
  'app.signOut.stay': 'Stay signed in',
  'app.signOut.discard': 'Sign out and discard them',
  'app.signedInAs': 'Signed in as {user}',
  'app.nav': 'Main',
  'app.nav.home': 'My cases',
  'app.nav.adjudications': 'Adjudication',
  'app.nav.coordinator': 'Study progress',
  'app.noRole': 'Your account has no role in this study yet. Ask the study coordinator to add you to the readers, adjudicators or coordinators.',
  'app.notFound': 'This page does not exist.',
  'app.notAllowed': 'This page is not for your role in the study.',
  'app.configProblem': 'The portal is not set up correctly ({detail}). Tell the study team.',

  'common.loading': 'Loading…',
  'common.retry': 'Try again',
  'common.more': 'Show more',
  'common.yes': 'Yes',
  'common.no': 'No',
  'common.clear': 'Clear the answer',
  'common.eye.OD': 'Right eye (OD)',
  'common.eye.OS': 'Left eye (OS)',
  'common.participant': 'Both eyes',

  'auth.title': 'Sign in',
  'auth.intro': 'Sign in with the user name and password the study team gave you.',
  'auth.username': 'User name',
  'auth.password': 'Password',
  'auth.submit': 'Sign in',
  'auth.startAgain': 'Start again',
  'auth.expiredTitle': 'Your sign-in has ended',
  'auth.expiredIntro': 'Sign in again as {user} to continue. Your answers on this page are kept and will be saved once you are signed in.',
  'auth.newPasswordTitle': 'Choose a new password',
  'auth.newPasswordIntro': 'This is your first sign-in: replace the temporary password with your own.',
  'auth.newPassword': 'New password',
  'auth.confirmPassword': 'New password again',
  'auth.passwordHint': 'At least 14 characters, with upper- and lower-case letters, digits and symbols.',
  'auth.passwordsDiffer': 'The two passwords are not the same.',
  'auth.setPassword': 'Set the password',
  'auth.mfaSetupTitle': 'Set up your authenticator app',
  'auth.mfaSetupIntro': 'Every sign-in asks for a 6-digit code from an authenticator app. Scan this QR code with the app, or type the key below into it.',
  'auth.qrLabel': 'QR code to add ReadRoom to an authenticator app',
  'auth.secretLabel': 'Key to type into the app',
  'auth.preparing': 'Preparing the key…',
  'auth.code': '6-digit code from the app',
  'auth.codeHint': 'The code changes every 30 seconds.',
  'auth.verify': 'Verify',
  'auth.totpTitle': 'Enter your code',
  'auth.totpIntro': 'Open your authenticator app and enter the current code for ReadRoom.',
  'auth.unsupportedTitle': 'This sign-in step is not available',
  'auth.unsupported': 'Your account asks for a sign-in step the portal does not offer ({challenge}). Ask the study coordinator to check your account.',
  'auth.signingIn': 'Signing in…',
  'auth.error.wrongCredentials': 'The user name or password is not right. Try again.',
  'auth.error.stepExpired': 'This sign-in step took too long. Start again.',
  'auth.error.disabled': 'This account is disabled. Ask the study coordinator.',
  'auth.error.codeMismatch': 'That code is not right. Enter the current code from the app.',
  'auth.error.codeExpired': 'That code has expired. Enter the current code from the app.',
  'auth.error.setupCode': 'The app’s code was not accepted. Check that the app shows ReadRoom and enter its current code.',
  'auth.error.passwordPolicy': 'The new password does not meet the password rules.',
  'auth.error.resetRequired': 'Your password must be reset. Ask the study coordinator.',
  'auth.error.notConfirmed': 'Your account is not confirmed yet. Ask the study coordinator.',
  'auth.error.tooMany': 'Too many attempts. Wait a few minutes, then try again.',
  'auth.error.invalidInput': 'Check what you entered and try again.',
  'auth.error.network': 'The sign-in service could not be reached. Check the connection and try again.',
  'auth.error.differentUser': 'Sign in as {user} to keep your work, or sign out first.',
  'auth.error.other': 'Sign-in failed ({code}). Try again; if it keeps failing, tell the study coordinator.',

  'api.error.network': 'The reading service could not be reached. Check the connection and try again.',
  'api.error.sessionExpired': 'Your sign-in has ended. Sign in again.',
  'api.error.unauthorized': 'Your sign-in is not valid for this study. Sign out and in again.',
  'api.error.forbidden': 'Your role in the study does not allow this.',
  'api.error.notFound': 'Not found: it does not exist, or it is not yours.',
  'api.error.siteMissing': 'Your account has no site, so the same-site rule cannot be applied. An administrator must set your site before you can take new cases.',
  'api.error.siteInvalid': 'Your account’s site code is not valid. An administrator must correct it before you can take new cases.',
  'api.error.dualRole': 'You are also a coordinator or administrator, who can see who read what: you cannot adjudicate in this study.',
  'api.error.conflictOfInterest': 'You cannot adjudicate this case: you read it, were excluded from it, or it is from your own site.',
  'api.error.workloadCap': 'You already have the most open cases allowed. Submit one before taking another.',
  'api.error.busy': 'Many readers are taking cases right now. Try again in a few seconds.',
  'api.error.streamingUnavailable': 'The image service is not running right now (outside reading hours, or starting up). Try again later.',
  'api.error.alreadySubmitted': 'This read was already submitted; a change must be submitted as an amendment.',
  'api.error.readLocked': 'This case is closed: all its reads are in, so the read can no longer change.',
  'api.error.versionMismatch': 'This read was changed somewhere else since you opened it.',
  'api.error.alreadyResolved': 'This adjudication was already resolved.',
  'api.error.alreadyWithdrawn': 'This assignment was already withdrawn.',
  'api.error.readSubmitted': 'The reader has submitted this read; a submitted read cannot be withdrawn.',
  'api.error.assignmentWithdrawn': 'A coordinator withdrew this assignment. Your draft is kept; the case is no longer in your list.',
  'api.error.readChanged': 'One of the reads was amended while you were deciding. Reload the case and decide again.',
  'api.error.validation': 'Some answers were not accepted; see the marked fields.',
  'api.error.idempotency': 'The request clashed with an earlier one. Reload the page and try again.',
  'api.error.conflict': 'The case changed while this was being saved. Reload the page and try again.',
  'api.error.directoryUnavailable': 'The reader directory could not be read just now, so nothing was assigned. Try again in a minute.',
  'api.error.server': 'The reading service had a problem ({status}). Try again; if it keeps failing, tell the study team.',
  'api.error.other': 'The request was refused ({code}).',

  'home.title': 'My cases',
  'home.progress': 'My progress',
  'home.open': 'Open',
  'home.submitted': 'Submitted',
  'home.site': 'Site',
  'home.readNext': 'Read next case',
  'home.nothingLeft': 'No case is waiting for you right now. Come back later, or ask the study coordinator.',
  'home.queue': 'My queue',
  'home.filter': 'Show',
  'home.filter.all': 'All',
  'home.col.case': 'Case',
  'home.col.status': 'Status',
  'home.col.assigned': 'Assigned',
  'home.col.updated': 'Last change',
  'home.col.submitted': 'Submitted',
  'home.open.case': 'Open case {ref}',
  'home.emptyQueue': 'Nothing in this list.',
  'status.pending': 'Not started',
  'status.in_progress': 'In progress',
  'status.submitted': 'Submitted',

  'read.title': 'Case {ref}',
  'read.images': 'Images',
  'read.form': 'Diagnosis',
  'read.skipToForm': 'Skip to the diagnosis form',
  'read.context': 'Case information',
  'read.state.loading': 'Loading the read…',
  'read.state.clean': 'All changes saved',
  'read.state.savedAt': 'Saved at {time}',
  'read.state.dirty': 'Unsaved changes',
  'read.state.invalid': 'Not saved: correct the marked answers',
  'read.state.saving': 'Saving…',
  'read.state.offline': 'Not saved: the connection failed. Trying again automatically; your answers are kept in this browser.',
  'read.state.conflict': 'Not saved: version conflict',
  'read.state.submitting': 'Submitting…',
  'read.state.submitted': 'Submitted',
  'read.state.refused': 'Not saved',
  'read.state.amending': 'Changes to a submitted read: submit them as an amendment',
  'read.submit': 'Submit',
  'read.submitAmendment': 'Submit the amendment',
  'read.submittedNote': 'Submitted. You can still amend it while the case waits for its other reads.',
  'read.lockedNote': 'This read is closed: the case has been decided. It is shown for reference.',
  'read.next': 'Read next case',
  'read.backHome': 'Back to my cases',
  'read.missing': 'This case is not one of yours, or it does not exist.',
  'read.conflictTitle': 'This read was changed somewhere else',
  'read.conflictIntro': 'Version {version} was saved from another window or device since you started. Your answers are still on this page and have not been saved.',
  'read.conflictDiffers': 'Answers that differ from the other version:',
  'read.conflictTheirs': 'other version: {value}',
  'read.conflictKeepMine': 'Keep my answers and save them',
  'read.conflictTakeTheirs': 'Use the other version',
  'read.errorSummary': 'Please correct these answers:',
  'read.formProblem': 'The answers as a whole were not accepted ({rule}).',
  'read.unanswered': '(no answer)',
  'read.eyeNav': 'Parts of the form',

  'context.ageBand5y': 'Age band',
  'context.sex': 'Sex',
  'context.diabetesFlag': 'Diabetes',
  'context.bcvaOD': 'Best-corrected visual acuity, right eye',
  'context.bcvaOS': 'Best-corrected visual acuity, left eye',
  'context.iopOD': 'Intraocular pressure, right eye (mmHg)',
  'context.iopOS': 'Intraocular pressure, left eye (mmHg)',
  'context.sphEqOD': 'Spherical equivalent, right eye (D)',
  'context.sphEqOS': 'Spherical equivalent, left eye (D)',
  'context.slitLampSummary': 'Slit-lamp summary',

  'form.required': 'required',
  'form.unable': 'Cannot be assessed',
  'form.numberHint': 'From {min} to {max}',
  'form.numberStepHint': 'From {min} to {max}, in steps of {step}',
  'form.textCount': '{count} of {max} characters',
  'form.rule.required': 'Answer this question.',
  'form.rule.type': 'This answer has the wrong form.',
  'form.rule.typeNumber': 'Enter a number.',
  'form.rule.option': 'Choose one of the options.',
  'form.rule.duplicate': 'An option is chosen twice.',
  'form.rule.empty': 'Leave it empty or write something.',
  'form.rule.range': 'Enter a number from {min} to {max}.',
  'form.rule.step': 'Enter a multiple of {step} (from {min}).',
  'form.rule.maxLength': 'Use at most {max} characters.',
  'form.rule.controlChars': 'Remove control or invisible formatting characters.',
  'form.rule.hidden': 'This question does not apply with your other answers; its answer is left out.',
  'form.rule.other': 'This answer was not accepted ({rule}).',

  'stream.title': 'Image session',
  'stream.frame': 'Image viewer for this case',
  'stream.requesting': 'Opening the image session…',
  'stream.connecting': 'Connecting to the image session…',
  'stream.started': 'Image session running.',
  'stream.disconnected': 'The image session is disconnected.',
  'stream.ended': 'The image session has ended.',
  'stream.reconnect': 'Open the images again',
  'stream.end': 'End the image session',
  'stream.notConfigured': 'The images cannot be shown inside this page here: they open in a new browser tab.',
  'stream.scriptFailed': 'The embedded image viewer could not be loaded, so the images open in a new browser tab instead.',
  'stream.openTab': 'Open the images in a new tab',
  'stream.linkExpired': 'The link to the images has expired.',
  'stream.newLink': 'Get a new link',
  'stream.embedError': 'The image session reported an error ({detail}).',

  'adj.listTitle': 'Adjudication',
  'adj.filter.open': 'Open',
  'adj.filter.resolved': 'Resolved',
  'adj.col.case': 'Case',
  'adj.col.priority': 'Priority',
  'adj.col.reasons': 'Disagreements',
  'adj.col.opened': 'Opened',
  'adj.col.resolved': 'Resolved',
  'adj.open.case': 'Adjudicate case {caseId}',
  'adj.empty': 'No adjudication is waiting.',
  'adj.priority.safety': 'Safety',
  'adj.priority.normal': 'Normal',
  'adj.priority.low': 'Low',
  'adj.title': 'Adjudication of case {caseId}',
  'adj.intro': 'The reads are shown as A, B…, never by reader. For each disagreement choose a read’s answer or enter a value; other answers keep what the reads agree on.',
  'adj.read': 'Read {label}',
  'adj.question': 'Question',
  'adj.final': 'Final answer',
  'adj.discordant': 'Disagreement',
  'adj.keep': 'As the reads',
  'adj.take': 'Read {label}',
  'adj.newValue': 'Another value',
  'adj.reasonCode': 'Reason for the decision',
  'adj.reasonChoose': 'Choose a reason',
  'adj.note': 'Note',
  'adj.noteHint': 'Required when the reason is “Other”.',
  'adj.noteRequired': 'Write a note for the reason “Other”.',
  'adj.reasonRequired': 'Choose a reason.',
  'adj.pickRequired': 'Choose the final answer for this disagreement.',
  'adj.resolve': 'Record the final answers',
  'adj.resolved': 'Resolved on {time}. Final answers recorded.',
  'adj.backToList': 'Back to the list',
  'adj.reason.read_a_correct': 'Read A is correct',
  'adj.reason.read_b_correct': 'Read B is correct',
  'adj.reason.both_partly_correct': 'Both reads partly correct',
  'adj.reason.neither_correct': 'Neither read is correct',
  'adj.reason.borderline_either_acceptable': 'Borderline: either is acceptable',
  'adj.reason.image_quality_limits_grading': 'Image quality limits grading',
  'adj.reason.protocol_interpretation': 'Interpretation of the protocol',
  'adj.reason.other': 'Other',
  'adj.agreeing': 'Answers every read agrees on ({count})',

  'coord.title': 'Study progress',
  'coord.nav': 'Coordinator pages',
  'coord.tab.progress': 'Progress',
  'coord.tab.assign': 'Assign cases',
  'coord.tab.export': 'Export',
  'coord.tab.audit': 'Audit log',
  'coord.cases': 'Cases',
  'coord.cases.open': 'Being read',
  'coord.cases.adjudication': 'In adjudication',
  'coord.cases.final': 'Final',
  'coord.cases.total': 'All cases',
  'coord.adjudications': 'Adjudications',
  'coord.adjudications.open': 'Open',
  'coord.adjudications.resolved': 'Resolved',
  'coord.readers': 'Readers',
  'coord.col.reader': 'Reader',
  'coord.col.email': 'E-mail',
  'coord.col.site': 'Site',
  'coord.col.open': 'Open',
  'coord.col.submitted': 'Submitted',
  'coord.noReaders': 'No reader has signed in yet.',
  'coord.rejections': 'Rejected manifests',
  'coord.noRejections': 'No manifest is waiting for a fix.',
  'coord.col.case': 'Case',
  'coord.col.at': 'When',
  'coord.col.reasons': 'Reasons',
  'coord.assignTitle': 'Assign cases to readers',
  'coord.assignIntro': 'Fills each open case up to the number of reads, never with a reader of the case’s own site or one excluded from it. Preview first: nothing is written until you assign.',
  'coord.caseIds': 'Cases (one id a line; empty: the oldest open cases)',
  'coord.limit': 'At most this many cases',
  'coord.readsPerCase': 'Reads per case',
  'coord.maxOpen': 'Open cases per reader, at most',
  'coord.readerIds': 'Readers (one id a line; empty: every active reader)',
  'coord.exclusions': 'Exclusions (a line per reader: reader id, then the case ids it must not read)',
  'coord.allowSameSite': 'Allow readers of the case’s own site',
  'coord.hiddenRepeats': 'Add hidden repeats (intra-reader agreement)',
  'coord.preview': 'Preview',
  'coord.assign': 'Assign',
  'coord.result.preview': 'Preview: nothing was written.',
  'coord.result.done': 'Assigned.',
  'coord.result.assigned': 'Assignments',
  'coord.result.repeats': 'Hidden repeats',
  'coord.result.unfilled': 'Cases not filled',
  'coord.result.skipped': 'Skipped',
  'coord.result.skippedReaders': 'Readers left out',
  'coord.result.more': 'More open cases are waiting: assign again.',
  'coord.unfilled.capacity': 'readers at their limit ({missing} missing)',
  'coord.unfilled.no_eligible_reader': 'no eligible reader ({missing} missing)',
  'coord.skipReader.site_missing': 'no site set',
  'coord.skipReader.site_invalid': 'site code not valid',
  'coord.skipReader.disabled': 'account disabled',
  'coord.skipReader.inactive': 'profile switched off',
  'coord.exportTitle': 'Export the results',
  'coord.exportIntro': 'Writes the final answers, every read and the agreement statistics. Download links last {minutes} minutes.',
  'coord.formats': 'Formats',
  'coord.startExport': 'Start the export',
  'coord.export.status': 'Export {id}: {status}',
  'coord.export.queued': 'waiting to start',
  'coord.export.running': 'running',
  'coord.export.complete': 'complete',
  'coord.export.failed': 'failed',
  'coord.export.stalled': 'stalled: no worker is running it. If it stays so for a few minutes, start a new export.',
  'coord.export.counts': '{cases} cases, {rows} rows, {reads} reads',
  'coord.export.files': 'Files',
  'coord.export.linksExpired': 'The download links have expired.',
  'coord.export.refreshLinks': 'Get new links',
  'coord.auditTitle': 'Audit log',
  'coord.day': 'Day (UTC)',
  'coord.show': 'Show',
  'coord.col.time': 'Time',
  'coord.col.action': 'Event',
  'coord.col.actor': 'By',
  'coord.col.detail': 'Details',
  'coord.noEvents': 'No event on this day.',
  'audit.case_registered': 'Case registered',
  'audit.manifest_rejected': 'Manifest rejected',
  'audit.case_claimed': 'Case taken by a reader',
  'audit.case_assigned': 'Case assigned',
  'audit.session_issued': 'Image session opened',
  'audit.case_files_issued': 'Case files issued',
  'audit.case_files_denied': 'Case files refused',
  'audit.read_submitted': 'Read submitted',
  'audit.read_amended': 'Read amended',
  'audit.adjudication_opened': 'Adjudication opened',
  'audit.adjudication_resolved': 'Adjudication resolved',
  'audit.final_recorded': 'Final recorded',
  'audit.export_requested': 'Export requested',
  'audit.export_completed': 'Export completed',
  'coord.tab.withdraw': 'Withdraw',
  'coord.withdrawTitle': 'Withdraw an assignment',
  'coord.withdrawIntro': 'Takes back an assignment whose read has not been submitted: the case goes back to the readers, the reader never gets it again, and any draft is kept in the history. The reference is in the audit log and in the answer of an assignment run that excluded the reader.',
  'coord.withdrawRef': 'Assignment reference',
  'coord.withdrawReason': 'Reason',
  'coord.withdrawReason.conflict_of_interest': 'Conflict of interest',
  'coord.withdrawReason.reader_unavailable': 'Reader unavailable',
  'coord.withdrawReason.workload': 'Workload',
  'coord.withdrawReason.assigned_in_error': 'Assigned in error',
  'coord.withdrawReason.other': 'Other',
  'coord.withdraw': 'Withdraw',
  'coord.withdrawRefInvalid': 'A reference is 12 letters a–z and digits 2–7.',
  'coord.withdrawn': 'Withdrawn: case {caseId}, reader {readerId}.',
  'coord.withdrawnDraftKept': 'Their draft is kept in the history.',
  'coord.excludedAssignments': 'Already assigned to an excluded reader',
  'audit.assignment_withdrawn': 'Assignment withdrawn',
  'audit.export_failed': 'Export failed',
} as const;

export type MessageKey = keyof typeof en;

const ko: Record<MessageKey, string> = {
  'app.name': 'ReadRoom',
  'app.skip': '본문으로 건너뛰기',
  'app.switchTo': 'English',
  'app.switchToLabel': '포털을 영어로 보기',
  'app.signOut': '로그아웃',
  'app.signOut.title': '저장되지 않은 답변',
  'app.signOut.unsaved': '서버에 아직 저장되지 않은 답변이 있는 증례: {count}건. 로그아웃하면 이 브라우저에서 그 답변이 삭제됩니다.',
  'app.signOut.stay': '로그인 유지',
  'app.signOut.discard': '답변을 삭제하고 로그아웃',
  'app.signedInAs': '{user}(으)로 로그인됨',
  'app.nav': '주 메뉴',
  'app.nav.home': '내 증례',
  'app.nav.adjudications': '최종 판정',
  'app.nav.coordinator': '연구 진행 현황',
  'app.noRole': '이 계정에는 아직 이 연구의 역할이 없습니다. 연구 코디네이터에게 판독자, 최종 판정자 또는 코디네이터로 추가해 달라고 요청하세요.',
  'app.notFound': '존재하지 않는 페이지입니다.',
  'app.notAllowed': '이 페이지는 귀하의 연구 역할로 볼 수 없습니다.',
  'app.configProblem': '포털 설정이 올바르지 않습니다 ({detail}). 연구팀에 알리세요.',

  'common.loading': '불러오는 중…',
  'common.retry': '다시 시도',
  'common.more': '더 보기',
  'common.yes': '예',
  'common.no': '아니요',
  'common.clear': '답 지우기',
  'common.eye.OD': '오른쪽 눈 (OD)',
  'common.eye.OS': '왼쪽 눈 (OS)',
  'common.participant': '양안 공통',

  'auth.title': '로그인',
  'auth.intro': '연구팀에서 받은 사용자 이름과 비밀번호로 로그인하세요.',
  'auth.username': '사용자 이름',
  'auth.password': '비밀번호',
  'auth.submit': '로그인',
  'auth.startAgain': '처음부터 다시',
  'auth.expiredTitle': '로그인이 만료되었습니다',
  'auth.expiredIntro': '계속하려면 {user}(으)로 다시 로그인하세요. 이 페이지의 답변은 유지되며 로그인하면 저장됩니다.',
  'auth.newPasswordTitle': '새 비밀번호 설정',
  'auth.newPasswordIntro': '처음 로그인하셨습니다. 임시 비밀번호를 본인의 비밀번호로 바꾸세요.',
  'auth.newPassword': '새 비밀번호',
  'auth.confirmPassword': '새 비밀번호 확인',
  'auth.passwordHint': '14자 이상, 영문 대문자와 소문자, 숫자, 특수문자를 모두 포함하세요.',
  'auth.passwordsDiffer': '두 비밀번호가 같지 않습니다.',
  'auth.setPassword': '비밀번호 설정',
  'auth.mfaSetupTitle': '인증 앱 설정',
  'auth.mfaSetupIntro': '로그인할 때마다 인증 앱의 6자리 코드가 필요합니다. 앱으로 이 QR 코드를 스캔하거나 아래 키를 앱에 입력하세요.',
  'auth.qrLabel': '인증 앱에 ReadRoom을 추가하는 QR 코드',
  'auth.secretLabel': '앱에 입력할 키',
  'auth.preparing': '키를 준비하는 중…',
  'auth.code': '앱에 표시된 6자리 코드',
  'auth.codeHint': '코드는 30초마다 바뀝니다.',
  'auth.verify': '확인',
  'auth.totpTitle': '인증 코드 입력',
  'auth.totpIntro': '인증 앱을 열고 ReadRoom의 현재 코드를 입력하세요.',
  'auth.unsupportedTitle': '지원하지 않는 로그인 단계',
  'auth.unsupported': '이 계정은 포털이 지원하지 않는 로그인 단계({challenge})를 요구합니다. 연구 코디네이터에게 계정 확인을 요청하세요.',
  'auth.signingIn': '로그인하는 중…',
  'auth.error.wrongCredentials': '사용자 이름 또는 비밀번호가 올바르지 않습니다. 다시 시도하세요.',
  'auth.error.stepExpired': '이 로그인 단계의 시간이 초과되었습니다. 처음부터 다시 하세요.',
  'auth.error.disabled': '사용이 중지된 계정입니다. 연구 코디네이터에게 문의하세요.',
  'auth.error.codeMismatch': '코드가 올바르지 않습니다. 앱에 표시된 현재 코드를 입력하세요.',
  'auth.error.codeExpired': '만료된 코드입니다. 앱에 표시된 현재 코드를 입력하세요.',
  'auth.error.setupCode': '앱의 코드가 받아들여지지 않았습니다. 앱에 ReadRoom이 표시되는지 확인하고 현재 코드를 입력하세요.',
  'auth.error.passwordPolicy': '새 비밀번호가 비밀번호 규칙에 맞지 않습니다.',
  'auth.error.resetRequired': '비밀번호를 재설정해야 합니다. 연구 코디네이터에게 문의하세요.',
  'auth.error.notConfirmed': '아직 확인되지 않은 계정입니다. 연구 코디네이터에게 문의하세요.',
  'auth.error.tooMany': '시도 횟수가 너무 많습니다. 몇 분 후에 다시 시도하세요.',
  'auth.error.invalidInput': '입력한 내용을 확인하고 다시 시도하세요.',
  'auth.error.network': '로그인 서비스에 연결할 수 없습니다. 네트워크 연결을 확인하고 다시 시도하세요.',
  'auth.error.differentUser': '작업을 유지하려면 {user}(으)로 로그인하거나, 먼저 로그아웃하세요.',
  'auth.error.other': '로그인하지 못했습니다 ({code}). 다시 시도하고, 계속 실패하면 연구 코디네이터에게 알리세요.',

  'api.error.network': '판독 서비스에 연결할 수 없습니다. 네트워크 연결을 확인하고 다시 시도하세요.',
  'api.error.sessionExpired': '로그인이 만료되었습니다. 다시 로그인하세요.',
  'api.error.unauthorized': '로그인 정보가 이 연구에 유효하지 않습니다. 로그아웃한 뒤 다시 로그인하세요.',
  'api.error.forbidden': '귀하의 연구 역할로는 할 수 없는 작업입니다.',
  'api.error.notFound': '찾을 수 없습니다. 존재하지 않거나 귀하의 것이 아닙니다.',
  'api.error.siteMissing': '계정에 소속 기관이 없어 동일 기관 규칙을 적용할 수 없습니다. 새 증례를 받으려면 관리자가 소속 기관을 설정해야 합니다.',
  'api.error.siteInvalid': '계정의 소속 기관 코드가 올바르지 않습니다. 새 증례를 받으려면 관리자가 고쳐야 합니다.',
  'api.error.dualRole': '귀하는 누가 무엇을 판독했는지 볼 수 있는 코디네이터 또는 관리자이기도 하므로 이 연구에서 최종 판정을 할 수 없습니다.',
  'api.error.conflictOfInterest': '이 증례는 최종 판정할 수 없습니다. 직접 판독했거나, 제외 대상이거나, 귀하의 소속 기관 증례입니다.',
  'api.error.workloadCap': '동시에 맡을 수 있는 최대 증례 수에 도달했습니다. 하나를 제출한 뒤 새 증례를 받으세요.',
  'api.error.busy': '지금 많은 판독자가 증례를 받고 있습니다. 몇 초 후에 다시 시도하세요.',
  'api.error.streamingUnavailable': '지금은 영상 서비스가 운영되지 않습니다 (판독 시간 외이거나 시작하는 중). 나중에 다시 시도하세요.',
  'api.error.alreadySubmitted': '이미 제출된 판독입니다. 변경하려면 수정본으로 제출해야 합니다.',
  'api.error.readLocked': '이 증례는 모든 판독이 완료되어 종료되었으므로 판독을 더 이상 바꿀 수 없습니다.',
  'api.error.versionMismatch': '이 판독을 연 뒤 다른 곳에서 변경되었습니다.',
  'api.error.alreadyResolved': '이미 최종 판정이 완료된 증례입니다.',
  'api.error.alreadyWithdrawn': '이미 철회된 배정입니다.',
  'api.error.readSubmitted': '판독자가 이 판독을 제출했습니다. 제출된 판독은 철회할 수 없습니다.',
  'api.error.assignmentWithdrawn': '코디네이터가 이 배정을 철회했습니다. 작성 중이던 판독은 보관되며, 증례는 더 이상 목록에 없습니다.',
  'api.error.readChanged': '판정하는 동안 판독 하나가 수정되었습니다. 증례를 다시 불러와 다시 판정하세요.',
  'api.error.validation': '받아들여지지 않은 답변이 있습니다. 표시된 항목을 확인하세요.',
  'api.error.idempotency': '이전 요청과 충돌했습니다. 페이지를 새로 고친 뒤 다시 시도하세요.',
  'api.error.conflict': '저장하는 동안 증례가 바뀌었습니다. 페이지를 새로 고친 뒤 다시 시도하세요.',
  'api.error.directoryUnavailable': '지금은 판독자 명단을 읽을 수 없어 아무것도 배정되지 않았습니다. 1분 후에 다시 시도하세요.',
  'api.error.server': '판독 서비스에 문제가 발생했습니다 ({status}). 다시 시도하고, 계속 실패하면 연구팀에 알리세요.',
  'api.error.other': '요청이 거부되었습니다 ({code}).',

  'home.title': '내 증례',
  'home.progress': '내 진행 현황',
  'home.open': '진행 중',
  'home.submitted': '제출함',
  'home.site': '소속 기관',
  'home.readNext': '다음 증례 판독',
  'home.nothingLeft': '지금은 기다리는 증례가 없습니다. 나중에 다시 오거나 연구 코디네이터에게 문의하세요.',
  'home.queue': '내 판독 목록',
  'home.filter': '보기',
  'home.filter.all': '전체',
  'home.col.case': '증례',
  'home.col.status': '상태',
  'home.col.assigned': '배정일',
  'home.col.updated': '최근 변경',
  'home.col.submitted': '제출일',
  'home.open.case': '증례 {ref} 열기',
  'home.emptyQueue': '이 목록에는 항목이 없습니다.',
  'status.pending': '시작 전',
  'status.in_progress': '진행 중',
  'status.submitted': '제출함',

  'read.title': '증례 {ref}',
  'read.images': '영상',
  'read.form': '판독',
  'read.skipToForm': '판독 양식으로 건너뛰기',
  'read.context': '증례 정보',
  'read.state.loading': '판독을 불러오는 중…',
  'read.state.clean': '모든 변경 사항 저장됨',
  'read.state.savedAt': '{time}에 저장됨',
  'read.state.dirty': '저장되지 않은 변경 사항',
  'read.state.invalid': '저장되지 않음: 표시된 답변을 고치세요',
  'read.state.saving': '저장하는 중…',
  'read.state.offline': '저장되지 않음: 연결에 실패했습니다. 자동으로 다시 시도하며, 답변은 이 브라우저에 보관됩니다.',
  'read.state.conflict': '저장되지 않음: 버전 충돌',
  'read.state.submitting': '제출하는 중…',
  'read.state.submitted': '제출함',
  'read.state.refused': '저장되지 않음',
  'read.state.amending': '제출한 판독의 변경 사항: 수정본으로 제출하세요',
  'read.submit': '제출',
  'read.submitAmendment': '수정본 제출',
  'read.submittedNote': '제출되었습니다. 이 증례의 다른 판독이 끝나기 전까지는 수정할 수 있습니다.',
  'read.lockedNote': '이 증례는 판정이 끝나 판독이 종료되었습니다. 참고용으로 표시합니다.',
  'read.next': '다음 증례 판독',
  'read.backHome': '내 증례로 돌아가기',
  'read.missing': '귀하의 증례가 아니거나 존재하지 않는 증례입니다.',
  'read.conflictTitle': '이 판독이 다른 곳에서 변경되었습니다',
  'read.conflictIntro': '작업을 시작한 뒤 다른 창이나 기기에서 버전 {version}이(가) 저장되었습니다. 귀하의 답변은 이 페이지에 그대로 있으며 저장되지 않았습니다.',
  'read.conflictDiffers': '다른 버전과 다른 답변:',
  'read.conflictTheirs': '다른 버전: {value}',
  'read.conflictKeepMine': '내 답변을 유지하고 저장',
  'read.conflictTakeTheirs': '다른 버전 사용',
  'read.errorSummary': '다음 답변을 고치세요:',
  'read.formProblem': '답변 전체가 받아들여지지 않았습니다 ({rule}).',
  'read.unanswered': '(답 없음)',
  'read.eyeNav': '양식 구성',

  'context.ageBand5y': '연령대',
  'context.sex': '성별',
  'context.diabetesFlag': '당뇨병',
  'context.bcvaOD': '최대교정시력, 오른쪽 눈',
  'context.bcvaOS': '최대교정시력, 왼쪽 눈',
  'context.iopOD': '안압, 오른쪽 눈 (mmHg)',
  'context.iopOS': '안압, 왼쪽 눈 (mmHg)',
  'context.sphEqOD': '구면대응치, 오른쪽 눈 (D)',
  'context.sphEqOS': '구면대응치, 왼쪽 눈 (D)',
  'context.slitLampSummary': '세극등 검사 요약',

  'form.required': '필수',
  'form.unable': '판단 불가',
  'form.numberHint': '{min}부터 {max}까지',
  'form.numberStepHint': '{min}부터 {max}까지, {step} 단위',
  'form.textCount': '{count} / {max}자',
  'form.rule.required': '이 질문에 답하세요.',
  'form.rule.type': '답의 형식이 올바르지 않습니다.',
  'form.rule.typeNumber': '숫자를 입력하세요.',
  'form.rule.option': '보기 중에서 고르세요.',
  'form.rule.duplicate': '같은 보기가 두 번 선택되었습니다.',
  'form.rule.empty': '비워 두거나 내용을 입력하세요.',
  'form.rule.range': '{min}부터 {max}까지의 숫자를 입력하세요.',
  'form.rule.step': '{min}부터 {step} 단위의 값을 입력하세요.',
  'form.rule.maxLength': '{max}자 이내로 입력하세요.',
  'form.rule.controlChars': '제어 문자나 보이지 않는 서식 문자를 지우세요.',
  'form.rule.hidden': '다른 답변에 따라 해당하지 않는 질문이므로 이 답은 제외됩니다.',
  'form.rule.other': '이 답변은 받아들여지지 않았습니다 ({rule}).',

  'stream.title': '영상 세션',
  'stream.frame': '이 증례의 영상 뷰어',
  'stream.requesting': '영상 세션을 여는 중…',
  'stream.connecting': '영상 세션에 연결하는 중…',
  'stream.started': '영상 세션이 실행 중입니다.',
  'stream.disconnected': '영상 세션 연결이 끊겼습니다.',
  'stream.ended': '영상 세션이 종료되었습니다.',
  'stream.reconnect': '영상 다시 열기',
  'stream.end': '영상 세션 종료',
  'stream.notConfigured': '여기에서는 영상을 이 페이지 안에 표시할 수 없어 새 브라우저 탭에서 엽니다.',
  'stream.scriptFailed': '내장 영상 뷰어를 불러오지 못해 새 브라우저 탭에서 영상을 엽니다.',
  'stream.openTab': '새 탭에서 영상 열기',
  'stream.linkExpired': '영상 링크가 만료되었습니다.',
  'stream.newLink': '새 링크 받기',
  'stream.embedError': '영상 세션에서 오류가 발생했습니다 ({detail}).',

  'adj.listTitle': '최종 판정',
  'adj.filter.open': '대기 중',
  'adj.filter.resolved': '완료',
  'adj.col.case': '증례',
  'adj.col.priority': '우선순위',
  'adj.col.reasons': '불일치 항목',
  'adj.col.opened': '시작일',
  'adj.col.resolved': '완료일',
  'adj.open.case': '증례 {caseId} 최종 판정',
  'adj.empty': '기다리는 최종 판정이 없습니다.',
  'adj.priority.safety': '안전',
  'adj.priority.normal': '보통',
  'adj.priority.low': '낮음',
  'adj.title': '증례 {caseId} 최종 판정',
  'adj.intro': '판독은 판독자가 아닌 A, B… 로만 표시됩니다. 불일치 항목마다 판독 하나의 답을 고르거나 값을 입력하세요. 나머지 답은 판독들이 일치한 내용을 따릅니다.',
  'adj.read': '판독 {label}',
  'adj.question': '질문',
  'adj.final': '최종 답',
  'adj.discordant': '불일치',
  'adj.keep': '판독대로',
  'adj.take': '판독 {label}',
  'adj.newValue': '다른 값',
  'adj.reasonCode': '판정 사유',
  'adj.reasonChoose': '사유를 고르세요',
  'adj.note': '메모',
  'adj.noteHint': '사유가 “기타”이면 필수입니다.',
  'adj.noteRequired': '사유 “기타”에 대한 메모를 쓰세요.',
  'adj.reasonRequired': '사유를 고르세요.',
  'adj.pickRequired': '이 불일치 항목의 최종 답을 고르세요.',
  'adj.resolve': '최종 답 기록',
  'adj.resolved': '{time}에 판정 완료. 최종 답이 기록되었습니다.',
  'adj.backToList': '목록으로 돌아가기',
  'adj.reason.read_a_correct': '판독 A가 맞음',
  'adj.reason.read_b_correct': '판독 B가 맞음',
  'adj.reason.both_partly_correct': '두 판독 모두 부분적으로 맞음',
  'adj.reason.neither_correct': '두 판독 모두 틀림',
  'adj.reason.borderline_either_acceptable': '경계 사례: 어느 쪽도 허용 가능',
  'adj.reason.image_quality_limits_grading': '영상 품질로 판독이 제한됨',
  'adj.reason.protocol_interpretation': '판독 기준 해석',
  'adj.reason.other': '기타',
  'adj.agreeing': '모든 판독이 일치한 답 ({count}개)',

  'coord.title': '연구 진행 현황',
  'coord.nav': '코디네이터 메뉴',
  'coord.tab.progress': '진행 현황',
  'coord.tab.assign': '증례 배정',
  'coord.tab.export': '내보내기',
  'coord.tab.audit': '감사 기록',
  'coord.cases': '증례',
  'coord.cases.open': '판독 중',
  'coord.cases.adjudication': '최종 판정 중',
  'coord.cases.final': '확정',
  'coord.cases.total': '전체 증례',
  'coord.adjudications': '최종 판정',
  'coord.adjudications.open': '대기 중',
  'coord.adjudications.resolved': '완료',
  'coord.readers': '판독자',
  'coord.col.reader': '판독자',
  'coord.col.email': '이메일',
  'coord.col.site': '소속 기관',
  'coord.col.open': '진행 중',
  'coord.col.submitted': '제출함',
  'coord.noReaders': '아직 로그인한 판독자가 없습니다.',
  'coord.rejections': '거부된 매니페스트',
  'coord.noRejections': '수정을 기다리는 매니페스트가 없습니다.',
  'coord.col.case': '증례',
  'coord.col.at': '시각',
  'coord.col.reasons': '사유',
  'coord.assignTitle': '판독자에게 증례 배정',
  'coord.assignIntro': '대기 중인 증례마다 판독 수만큼 채우며, 증례와 같은 기관의 판독자나 제외된 판독자에게는 배정하지 않습니다. 먼저 미리 보기를 하세요. 배정을 누르기 전에는 아무것도 기록되지 않습니다.',
  'coord.caseIds': '증례 (한 줄에 하나; 비우면 가장 오래된 대기 증례)',
  'coord.limit': '최대 증례 수',
  'coord.readsPerCase': '증례당 판독 수',
  'coord.maxOpen': '판독자당 최대 진행 증례 수',
  'coord.readerIds': '판독자 (한 줄에 하나; 비우면 활동 중인 모든 판독자)',
  'coord.exclusions': '제외 (판독자마다 한 줄: 판독자 ID 다음에 판독하면 안 되는 증례 ID)',
  'coord.allowSameSite': '증례와 같은 기관의 판독자도 허용',
  'coord.hiddenRepeats': '숨은 반복 판독 추가 (판독자 내 일치도)',
  'coord.preview': '미리 보기',
  'coord.assign': '배정',
  'coord.result.preview': '미리 보기: 아무것도 기록되지 않았습니다.',
  'coord.result.done': '배정했습니다.',
  'coord.result.assigned': '배정',
  'coord.result.repeats': '숨은 반복 판독',
  'coord.result.unfilled': '채우지 못한 증례',
  'coord.result.skipped': '건너뜀',
  'coord.result.skippedReaders': '제외된 판독자',
  'coord.result.more': '대기 중인 증례가 더 있습니다. 다시 배정하세요.',
  'coord.unfilled.capacity': '판독자가 한도에 도달 ({missing}건 부족)',
  'coord.unfilled.no_eligible_reader': '배정 가능한 판독자 없음 ({missing}건 부족)',
  'coord.skipReader.site_missing': '소속 기관 미설정',
  'coord.skipReader.site_invalid': '소속 기관 코드 오류',
  'coord.skipReader.disabled': '계정 사용 중지',
  'coord.skipReader.inactive': '프로필 비활성',
  'coord.exportTitle': '결과 내보내기',
  'coord.exportIntro': '최종 답, 모든 판독, 일치도 통계를 기록합니다. 다운로드 링크는 {minutes}분 동안 유효합니다.',
  'coord.formats': '형식',
  'coord.startExport': '내보내기 시작',
  'coord.export.status': '내보내기 {id}: {status}',
  'coord.export.queued': '시작 대기 중',
  'coord.export.running': '진행 중',
  'coord.export.complete': '완료',
  'coord.export.failed': '실패',
  'coord.export.stalled': '멈춤: 처리하는 작업자가 없습니다. 몇 분 동안 계속되면 새로 내보내기를 시작하세요.',
  'coord.export.counts': '증례 {cases}건, 행 {rows}개, 판독 {reads}건',
  'coord.export.files': '파일',
  'coord.export.linksExpired': '다운로드 링크가 만료되었습니다.',
  'coord.export.refreshLinks': '새 링크 받기',
  'coord.auditTitle': '감사 기록',
  'coord.day': '날짜 (UTC)',
  'coord.show': '보기',
  'coord.col.time': '시각',
  'coord.col.action': '이벤트',
  'coord.col.actor': '수행자',
  'coord.col.detail': '세부 정보',
  'coord.noEvents': '이 날에는 이벤트가 없습니다.',
  'audit.case_registered': '증례 등록',
  'audit.manifest_rejected': '매니페스트 거부',
  'audit.case_claimed': '판독자가 증례를 받음',
  'audit.case_assigned': '증례 배정',
  'audit.session_issued': '영상 세션 열림',
  'audit.case_files_issued': '증례 파일 발급',
  'audit.case_files_denied': '증례 파일 거부',
  'audit.read_submitted': '판독 제출',
  'audit.read_amended': '판독 수정',
  'audit.adjudication_opened': '최종 판정 시작',
  'audit.adjudication_resolved': '최종 판정 완료',
  'audit.final_recorded': '최종 결과 기록',
  'audit.export_requested': '내보내기 요청',
  'audit.export_completed': '내보내기 완료',
  'coord.tab.withdraw': '배정 철회',
  'coord.withdrawTitle': '배정 철회',
  'coord.withdrawIntro': '판독이 제출되지 않은 배정을 거두어들입니다. 증례는 다시 판독자에게 돌아가고, 해당 판독자에게는 다시 배정되지 않으며, 작성 중인 판독은 이력에 남습니다. 참조 번호는 감사 기록과, 판독자를 제외한 배정 실행의 응답에 있습니다.',
  'coord.withdrawRef': '배정 참조 번호',
  'coord.withdrawReason': '사유',
  'coord.withdrawReason.conflict_of_interest': '이해 상충',
  'coord.withdrawReason.reader_unavailable': '판독자 부재',
  'coord.withdrawReason.workload': '업무량',
  'coord.withdrawReason.assigned_in_error': '잘못된 배정',
  'coord.withdrawReason.other': '기타',
  'coord.withdraw': '철회',
  'coord.withdrawRefInvalid': '참조 번호는 영문 소문자 a–z와 숫자 2–7로 된 12자입니다.',
  'coord.withdrawn': '철회됨: 증례 {caseId}, 판독자 {readerId}.',
  'coord.withdrawnDraftKept': '작성 중이던 판독은 이력에 남아 있습니다.',
  'coord.excludedAssignments': '제외된 판독자에게 이미 배정된 증례',
  'audit.assignment_withdrawn': '배정 철회됨',
  'audit.export_failed': '내보내기 실패',
};

export const messages: Record<Lang, Record<MessageKey, string>> = { en, ko };

/** Values that are the same in both languages on purpose (the product's name). */
export const SAME_IN_BOTH: readonly MessageKey[] = ['app.name'];

/** The page's language; every `t()` read in a component re-renders it when this changes. */
export const lang = signal<Lang>('en');

export function fill(text: string, params: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return fill(messages[lang.value][key], params);
}

/** A key that exists, or undefined (codes from the server: actions, reasons, statuses). */
export function tIf(key: string, params?: Record<string, string | number>): string | undefined {
  return Object.prototype.hasOwnProperty.call(en, key) ? t(key as MessageKey, params) : undefined;
}

/** The study's own text ({ en, ko }) in the page's language. */
export function label(l: Label | undefined, fallback: string): string {
  return l?.[lang.value] ?? fallback;
}

// ---------------------------------------------------------------------------------------------
// Dates and numbers.

export function dateTime(iso: string | number | undefined): string {
  if (iso === undefined) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function time(at: number | string): string {
  return new Intl.DateTimeFormat(lang.value, { timeStyle: 'medium' }).format(new Date(at));
}

export function num(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(lang.value, opts).format(n);
}

export function bytes(n: number): string {
  const units: Array<[number, Intl.NumberFormatOptions['unit']]> = [
    [1024 ** 3, 'gigabyte'],
    [1024 ** 2, 'megabyte'],
    [1024, 'kilobyte'],
  ];
  for (const [size, unit] of units) if (n >= size) return num(n / size, { style: 'unit', unit, maximumFractionDigits: 1 });
  return num(n, { style: 'unit', unit: 'byte' });
}

// ---------------------------------------------------------------------------------------------
// Errors in words.

const API_CODES: Record<string, MessageKey> = {
  network: 'api.error.network',
  session_expired: 'api.error.sessionExpired',
  unauthorized: 'api.error.unauthorized',
  forbidden: 'api.error.forbidden',
  not_found: 'api.error.notFound',
  site_missing: 'api.error.siteMissing',
  site_invalid: 'api.error.siteInvalid',
  dual_role: 'api.error.dualRole',
  conflict_of_interest: 'api.error.conflictOfInterest',
  workload_cap: 'api.error.workloadCap',
  busy: 'api.error.busy',
  streaming_unavailable: 'api.error.streamingUnavailable',
  already_submitted: 'api.error.alreadySubmitted',
  read_locked: 'api.error.readLocked',
  version_mismatch: 'api.error.versionMismatch',
  precondition_required: 'api.error.versionMismatch',
  already_resolved: 'api.error.alreadyResolved',
  already_withdrawn: 'api.error.alreadyWithdrawn',
  read_submitted: 'api.error.readSubmitted',
  assignment_withdrawn: 'api.error.assignmentWithdrawn',
  read_changed: 'api.error.readChanged',
  validation_failed: 'api.error.validation',
  idempotency_key_reused: 'api.error.idempotency',
  idempotency_in_use: 'api.error.idempotency',
  directory_unavailable: 'api.error.directoryUnavailable',
  conflict: 'api.error.conflict',
};

export function apiErrorText(e: Pick<ApiError, 'status' | 'code'>): string {
  const key = API_CODES[e.code];
  if (key) return t(key);
  if (e.status === 404) return t('api.error.notFound');
  if (e.status === 403) return t('api.error.forbidden');
  if (e.status >= 500) return t('api.error.server', { status: e.status });
  return t('api.error.other', { code: e.code });
}

/** Cognito's exception names (and the portal's own) in words; the message tells apart NotAuthorized's meanings. */
export function authErrorText(e: { code: string; message?: string }, user = ''): string {
  const m = e.message ?? '';
  switch (e.code) {
    case 'NotAuthorizedException':
      if (/session is expired|session.*expired|invalid session/i.test(m)) return t('auth.error.stepExpired');
      if (/disabled/i.test(m)) return t('auth.error.disabled');
      if (/attempts exceeded/i.test(m)) return t('auth.error.tooMany');
      return t('auth.error.wrongCredentials');
    case 'UserNotFoundException':
      return t('auth.error.wrongCredentials');
    case 'CodeMismatchException':
      return t('auth.error.codeMismatch');
    case 'ExpiredCodeException':
      return t('auth.error.codeExpired');
    case 'EnableSoftwareTokenMFAException':
      return t('auth.error.setupCode');
    case 'InvalidPasswordException':
      return t('auth.error.passwordPolicy');
    case 'PasswordResetRequiredException':
      return t('auth.error.resetRequired');
    case 'UserNotConfirmedException':
      return t('auth.error.notConfirmed');
    case 'TooManyRequestsException':
    case 'LimitExceededException':
    case 'TooManyFailedAttemptsException':
      return t('auth.error.tooMany');
    case 'InvalidParameterException':
      return t('auth.error.invalidInput');
    case 'NetworkError':
      return t('auth.error.network');
    case 'DifferentUser':
      return t('auth.error.differentUser', { user });
    case 'OutOfStep':
      return t('auth.error.stepExpired');
    default:
      return t('auth.error.other', { code: e.code });
  }
}

/** A field's problem in words, from its rule and the question's own limits. */
export function problemText(rule: string, q: Question | undefined): string {
  switch (rule) {
    case 'required':
      return t('form.rule.required');
    case 'type':
      return q?.type === 'number' ? t('form.rule.typeNumber') : t('form.rule.type');
    case 'option':
      return t('form.rule.option');
    case 'duplicate':
      return t('form.rule.duplicate');
    case 'empty':
      return t('form.rule.empty');
    case 'range':
      return q?.type === 'number' ? t('form.rule.range', { min: num(q.min), max: num(q.max) }) : t('form.rule.other', { rule });
    case 'step':
      return q?.type === 'number' && q.step !== undefined ? t('form.rule.step', { step: num(q.step), min: num(q.min) }) : t('form.rule.other', { rule });
    case 'maxLength':
      return q?.type === 'text' ? t('form.rule.maxLength', { max: num(q.maxLength) }) : t('form.rule.other', { rule });
    case 'controlChars':
      return t('form.rule.controlChars');
    case 'hidden':
      return t('form.rule.hidden');
    default:
      return t('form.rule.other', { rule });
  }
}
