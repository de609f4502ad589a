/**
 * The keyboard shortcuts, as data: the key handler, the help overlay and the README all read this
 * table, so what is documented is what works. `keys` are `KeyboardEvent.key` values.
 */
import type { MessageKey } from './i18n';

export type Action =
  | 'zoomIn' | 'zoomOut' | 'panLeft' | 'panRight' | 'panUp' | 'panDown'
  | 'brighter' | 'darker' | 'moreContrast' | 'lessContrast'
  | 'nextSlice' | 'prevSlice' | 'invert' | 'reset' | 'right' | 'left' | 'exam' | 'help';

export interface Shortcut {
  /** What the help shows as the key caps. */
  caps: string[];
  keys: string[];
  actions: Action[];
  label: MessageKey;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { caps: ['+'], keys: ['+', '='], actions: ['zoomIn'], label: 'viewer.key.zoomIn' },
  { caps: ['-'], keys: ['-', '_'], actions: ['zoomOut'], label: 'viewer.key.zoomOut' },
  { caps: ['←', '→', '↑', '↓'], keys: ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'], actions: ['panLeft', 'panRight', 'panUp', 'panDown'], label: 'viewer.key.pan' },
  { caps: ['b'], keys: ['b'], actions: ['brighter'], label: 'viewer.key.brighter' },
  { caps: ['Shift', 'B'], keys: ['B'], actions: ['darker'], label: 'viewer.key.darker' },
  { caps: ['c'], keys: ['c'], actions: ['moreContrast'], label: 'viewer.key.moreContrast' },
  { caps: ['Shift', 'C'], keys: ['C'], actions: ['lessContrast'], label: 'viewer.key.lessContrast' },
  { caps: [']', 'PgDn'], keys: [']', 'PageDown'], actions: ['nextSlice', 'nextSlice'], label: 'viewer.key.nextSlice' },
  { caps: ['[', 'PgUp'], keys: ['[', 'PageUp'], actions: ['prevSlice', 'prevSlice'], label: 'viewer.key.prevSlice' },
  { caps: ['i'], keys: ['i', 'I'], actions: ['invert', 'invert'], label: 'viewer.key.invert' },
  { caps: ['0'], keys: ['0', 'r', 'R'], actions: ['reset', 'reset', 'reset'], label: 'viewer.key.reset' },
  { caps: ['1'], keys: ['1'], actions: ['right'], label: 'viewer.key.right' },
  { caps: ['2'], keys: ['2'], actions: ['left'], label: 'viewer.key.left' },
  { caps: ['e'], keys: ['e', 'E'], actions: ['exam', 'exam'], label: 'viewer.key.exam' },
  { caps: ['?'], keys: ['?', 'h', 'H'], actions: ['help', 'help', 'help'], label: 'viewer.key.help' },
];

/** The action for a key, if any. Keys held with Ctrl, Alt or Meta belong to the browser. */
export function actionFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'altKey' | 'metaKey'>): Action | undefined {
  if (e.ctrlKey || e.altKey || e.metaKey) return undefined;
  for (const s of SHORTCUTS) {
    const i = s.keys.indexOf(e.key);
    if (i >= 0) return s.actions[Math.min(i, s.actions.length - 1)];
  }
  return undefined;
}
