/**
 * The viewer's strings in English and Korean. Keys are namespaced `viewer.*` so the table merges
 * into the portal's as is (`{ ...portalMessages.en, ...viewerMessages.en }`). Every key exists in
 * both languages (the type makes a missing one a compile error, and a test checks that no Korean
 * value is left in English). Placeholders are `{name}`.
 */
import type { Lang } from '../../domain/lang';

export { pickLang, type Lang } from '../../domain/lang';

const en = {
  'viewer.title': 'Image viewer',
  'viewer.case': 'Case {ref}',
  'viewer.adjudication': 'Adjudication',
  'viewer.reader': 'Reader {reader}',
  'viewer.watermark': '{reader} · {time}',
  'viewer.eye.OD': 'Right eye (OD)',
  'viewer.eye.OS': 'Left eye (OS)',
  'viewer.eye.none': 'Eye not recorded',
  'viewer.exam.fundus': 'Fundus photo',
  'viewer.exam.oct': 'OCT',
  'viewer.exam.va': 'Visual acuity',
  'viewer.exam.iop': 'Intraocular pressure',
  'viewer.exam.refraction': 'Refraction',
  'viewer.exam.slitlamp': 'Slit lamp',
  'viewer.exam.other': 'Other image',
  'viewer.exams': 'Images of this eye',
  'viewer.image': '{eye}, {exam}. Use the keyboard shortcuts to zoom, move and adjust brightness.',
  'viewer.slice': 'Slice',
  'viewer.sliceOf': 'Slice {n} of {total}',
  'viewer.readout': 'Zoom {zoom} % · window {width} · level {level}',
  'viewer.inverted': 'inverted',
  'viewer.loading': 'Loading images…',
  'viewer.loadingImage': 'Loading this image…',
  'viewer.paneEmpty': 'This case has no image of this eye.',
  'viewer.helpButton': 'Keyboard shortcuts (?)',
  'viewer.helpTitle': 'Keyboard shortcuts',
  'viewer.helpIntro': 'Shortcuts act on the selected eye (outlined). Click an image or press 1 or 2 to select one.',
  'viewer.helpMouse': 'Mouse: drag to move, wheel to zoom, Shift and drag to change brightness and contrast.',
  'viewer.close': 'Close',
  'viewer.retry': 'Retry',
  'viewer.key.zoomIn': 'Zoom in',
  'viewer.key.zoomOut': 'Zoom out',
  'viewer.key.pan': 'Move the image',
  'viewer.key.brighter': 'Brighter',
  'viewer.key.darker': 'Darker',
  'viewer.key.moreContrast': 'More contrast',
  'viewer.key.lessContrast': 'Less contrast',
  'viewer.key.nextSlice': 'Next slice',
  'viewer.key.prevSlice': 'Previous slice',
  'viewer.key.invert': 'Invert grey levels',
  'viewer.key.reset': 'Reset zoom, position and brightness',
  'viewer.key.right': 'Select the right eye',
  'viewer.key.left': 'Select the left eye',
  'viewer.key.exam': 'Next image of the selected eye',
  'viewer.key.help': 'Show or hide this help',
  'viewer.error.noSession': 'This viewer was opened without a viewing session. Open the case again from the reading portal.',
  'viewer.error.forbidden': 'This viewing session is no longer valid: it has ended, or the case is no longer assigned to you. Close this window and open the case again from the reading portal.',
  'viewer.error.network': 'The image service could not be reached. Check the network connection, then press Retry.',
  'viewer.error.server': 'The image service answered with an error ({status}). Press Retry; if it keeps failing, tell the study coordinator.',
  'viewer.error.badAnswer': 'The image service sent an answer this viewer cannot read. Tell the study coordinator.',
  'viewer.error.noImages': 'This case has no images. Tell the study coordinator.',
  'viewer.error.image': 'This image could not be loaded. Press Retry; if it keeps failing, tell the study coordinator.',
  'viewer.error.unsupported': 'This image is in a format the viewer cannot show ({detail}). Tell the study coordinator which case and eye.',
  'viewer.error.corrupt': 'This image file is damaged and cannot be shown. Tell the study coordinator which case and eye.',
} as const;

export type MessageKey = keyof typeof en;

const ko: Record<MessageKey, string> = {
  'viewer.title': '영상 뷰어',
  'viewer.case': '증례 {ref}',
  'viewer.adjudication': '최종 판정',
  'viewer.reader': '판독자 {reader}',
  'viewer.watermark': '{reader} · {time}',
  'viewer.eye.OD': '오른쪽 눈 (OD)',
  'viewer.eye.OS': '왼쪽 눈 (OS)',
  'viewer.eye.none': '눈 정보 없음',
  'viewer.exam.fundus': '안저 사진',
  'viewer.exam.oct': 'OCT',
  'viewer.exam.va': '시력',
  'viewer.exam.iop': '안압',
  'viewer.exam.refraction': '굴절 검사',
  'viewer.exam.slitlamp': '세극등 검사',
  'viewer.exam.other': '기타 영상',
  'viewer.exams': '이 눈의 영상',
  'viewer.image': '{eye}, {exam}. 단축키로 확대, 이동, 밝기 조절을 할 수 있습니다.',
  'viewer.slice': '단면',
  'viewer.sliceOf': '단면 {n} / {total}',
  'viewer.readout': '확대 {zoom} % · 윈도우 폭 {width} · 레벨 {level}',
  'viewer.inverted': '반전됨',
  'viewer.loading': '영상을 불러오는 중…',
  'viewer.loadingImage': '이 영상을 불러오는 중…',
  'viewer.paneEmpty': '이 증례에는 이 눈의 영상이 없습니다.',
  'viewer.helpButton': '단축키 (?)',
  'viewer.helpTitle': '단축키',
  'viewer.helpIntro': '단축키는 선택된 눈(테두리 표시)에 적용됩니다. 영상을 클릭하거나 1 또는 2를 눌러 선택하세요.',
  'viewer.helpMouse': '마우스: 끌어서 이동, 휠로 확대/축소, Shift 키를 누른 채 끌면 밝기와 대비를 바꿉니다.',
  'viewer.close': '닫기',
  'viewer.retry': '다시 시도',
  'viewer.key.zoomIn': '확대',
  'viewer.key.zoomOut': '축소',
  'viewer.key.pan': '영상 이동',
  'viewer.key.brighter': '밝게',
  'viewer.key.darker': '어둡게',
  'viewer.key.moreContrast': '대비 높이기',
  'viewer.key.lessContrast': '대비 낮추기',
  'viewer.key.nextSlice': '다음 단면',
  'viewer.key.prevSlice': '이전 단면',
  'viewer.key.invert': '흑백 반전',
  'viewer.key.reset': '확대, 위치, 밝기 초기화',
  'viewer.key.right': '오른쪽 눈 선택',
  'viewer.key.left': '왼쪽 눈 선택',
  'viewer.key.exam': '선택한 눈의 다음 영상',
  'viewer.key.help': '도움말 열기/닫기',
  'viewer.error.noSession': '보기 세션 없이 뷰어가 열렸습니다. 판독 포털에서 증례를 다시 여세요.',
  'viewer.error.forbidden': '이 보기 세션은 더 이상 유효하지 않습니다. 세션이 끝났거나 이 증례가 더 이상 배정되어 있지 않습니다. 이 창을 닫고 판독 포털에서 증례를 다시 여세요.',
  'viewer.error.network': '영상 서비스에 연결할 수 없습니다. 네트워크 연결을 확인한 뒤 다시 시도를 누르세요.',
  'viewer.error.server': '영상 서비스가 오류({status})로 응답했습니다. 다시 시도를 누르고, 계속 실패하면 연구 코디네이터에게 알리세요.',
  'viewer.error.badAnswer': '영상 서비스의 응답을 읽을 수 없습니다. 연구 코디네이터에게 알리세요.',
  'viewer.error.noImages': '이 증례에는 영상이 없습니다. 연구 코디네이터에게 알리세요.',
  'viewer.error.image': '이 영상을 불러오지 못했습니다. 다시 시도를 누르고, 계속 실패하면 연구 코디네이터에게 알리세요.',
  'viewer.error.unsupported': '뷰어가 표시할 수 없는 형식의 영상입니다 ({detail}). 연구 코디네이터에게 증례와 눈을 알리세요.',
  'viewer.error.corrupt': '영상 파일이 손상되어 표시할 수 없습니다. 연구 코디네이터에게 증례와 눈을 알리세요.',
};

export const viewerMessages: Record<Lang, Record<MessageKey, string>> = { en, ko };

/** Values that stay the same in both languages on purpose (abbreviations used as is in Korean clinics). */
export const SAME_IN_BOTH: readonly MessageKey[] = ['viewer.watermark', 'viewer.exam.oct'];

export function translate(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return viewerMessages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}
