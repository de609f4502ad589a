/**
 * ReadRoom's image viewer: one case's images, right and left eye side by side, for a reader (or an
 * adjudicator) on the streaming instance or in the local reading room. Plain DOM and canvas, no
 * framework: the page is a few panes and a dialog.
 *
 * What it shows is limited on purpose: the assignment ref (or "Adjudication"), the reader's
 * pseudonym and the time as a watermark, eye and exam names, and pixels. URLs, storage keys,
 * sizes, case ids and every DICOM text attribute stay out of the page.
 */
import { CaseFilesError, CaseFilesSession, fetchCaseFiles, fetchFile, type CaseFile, type CaseFiles, type EyeCode } from './case-files';
import { readConfig, withoutConfig, type ConfigInput } from './config';
import { InvalidDicom, UnsupportedDicom } from './dicom';
import { translate, type Lang, type MessageKey } from './i18n';
import { decodeImage, UndecodableImage, type Source } from './image';
import { actionFor, SHORTCUTS, type Action } from './keys';
import { applyWindow, clampZoom, layout, zoomAt, type View, type Window as WindowLevel } from './render';

declare global {
  interface Window {
    READROOM_VIEWER?: ConfigInput;
  }
}

const EXAM_ORDER = ['fundus', 'oct', 'slitlamp', 'va', 'iop', 'refraction', 'other'];
const KNOWN_EXAMS = new Set(EXAM_ORDER);

let lang: Lang = 'en';
const t = (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params);
const num = (n: number) => new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(n);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

const examLabel = (exam: string) => t(`viewer.exam.${KNOWN_EXAMS.has(exam) ? exam : 'other'}` as MessageKey);
const eyeLabel = (eye: EyeCode | null) => t(eye ? `viewer.eye.${eye}` : 'viewer.eye.none');

/** Shared by every pane: one decode per file, whichever pane asks first. */
const sources = new Map<string, Promise<Source>>();
let session: CaseFilesSession;
let watermark = '';

/** Files whose last load failed: the background prefetch leaves them to the reader's Retry. */
const failed = new Set<string>();

function loadSource(file: CaseFile): Promise<Source> {
  let s = sources.get(file.id);
  if (!s) {
    failed.delete(file.id);
    s = fetchFile(session, file.id).then(decodeImage);
    s.catch(() => {
      sources.delete(file.id); // a failed load can be retried
      failed.add(file.id);
    });
    sources.set(file.id, s);
  }
  return s;
}

function imageErrorMessage(e: unknown): string {
  // Only the UID or number goes into the message: the detail's words are English.
  if (e instanceof UnsupportedDicom) return t('viewer.error.unsupported', { detail: e.detail.match(/\d[\d.]*/)?.[0] ?? '?' });
  if (e instanceof InvalidDicom || e instanceof UndecodableImage) return t('viewer.error.corrupt');
  if (e instanceof CaseFilesError && e.kind === 'forbidden') return t('viewer.error.forbidden');
  return t('viewer.error.image');
}

class Pane {
  readonly section: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly stage: HTMLElement;
  private readonly status: HTMLElement;
  private readonly tabs: HTMLButtonElement[] = [];
  private readonly sliderRow: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly sliceText: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly image = document.createElement('canvas');
  private source?: Source;
  private raw?: Float32Array | Uint8ClampedArray;
  private selected = -1;
  private frame = 0;
  private view: View = { zoom: 1, panX: 0, panY: 0 };
  private win: WindowLevel = { center: 128, width: 256 };
  private invert = false;
  private loadToken = 0;

  constructor(
    readonly eye: EyeCode | null,
    readonly files: CaseFile[],
    private readonly onActivate: (p: Pane) => void,
  ) {
    const id = eye ?? 'none';
    const title = el('h2', { id: `pane-${id}-title` }, eyeLabel(eye));
    this.section = el('section', { class: 'pane', 'aria-labelledby': title.id, 'data-eye': id });
    this.section.append(title);
    if (files.length > 1) {
      const group = el('div', { class: 'tabs', role: 'group', 'aria-label': t('viewer.exams') });
      const counts = new Map<string, number>();
      files.forEach((f, i) => {
        const n = (counts.get(f.exam) ?? 0) + 1;
        counts.set(f.exam, n);
        const dup = files.filter((g) => g.exam === f.exam).length > 1;
        const b = el('button', { type: 'button', 'aria-pressed': 'false', 'data-exam': f.exam }, dup ? `${examLabel(f.exam)} ${num(n)}` : examLabel(f.exam));
        b.addEventListener('click', () => {
          this.onActivate(this);
          void this.select(i);
        });
        this.tabs.push(b);
        group.append(b);
      });
      this.section.append(group);
    }
    this.canvas = el('canvas', { tabindex: '0', role: 'img', 'aria-label': eyeLabel(eye) });
    this.status = el('p', { class: 'pane-status', role: 'status' });
    this.stage = el('div', { class: 'stage' }, this.canvas, this.status);
    this.section.append(this.stage);
    this.slider = el('input', { type: 'range', id: `slice-${id}`, min: '1', max: '1', value: '1', step: '1' });
    this.sliceText = el('span', { class: 'slice-text', 'aria-hidden': 'true' });
    this.sliderRow = el('div', { class: 'slider', hidden: '' }, el('label', { for: this.slider.id }, t('viewer.slice')), this.slider, this.sliceText);
    this.readout = el('p', { class: 'readout' });
    this.section.append(this.sliderRow, this.readout);

    this.slider.addEventListener('input', () => void this.showFrame(Number(this.slider.value) - 1));
    // Focus anywhere in the pane (image, tabs, slider) selects it, so keys act where the reader is.
    this.section.addEventListener('focusin', () => this.onActivate(this));
    this.bindPointer();
    new ResizeObserver(() => this.render()).observe(this.stage);
    if (files.length === 0) this.setStatus(t('viewer.paneEmpty'));
  }

  setStatus(text: string, retry?: () => void): void {
    this.status.replaceChildren(text);
    if (retry) {
      const b = el('button', { type: 'button' }, t('viewer.retry'));
      b.addEventListener('click', retry);
      this.status.append(' ', b);
    }
    this.status.hidden = text === '';
  }

  async select(index: number): Promise<void> {
    if (index === this.selected && this.source) return;
    const file = this.files[index];
    if (!file) return;
    this.selected = index;
    const token = ++this.loadToken;
    this.tabs.forEach((b, i) => b.setAttribute('aria-pressed', String(i === index)));
    this.canvas.setAttribute('aria-label', t('viewer.image', { eye: eyeLabel(this.eye), exam: examLabel(file.exam) }));
    this.section.dataset.loaded = 'false';
    this.setStatus(t('viewer.loadingImage'));
    try {
      const source = await loadSource(file);
      if (token !== this.loadToken) return;
      this.source = source;
      this.frame = Math.floor(source.frames / 2); // a stack opens on its middle slice, through the fovea
      this.resetView();
      this.slider.max = String(source.frames);
      this.sliderRow.hidden = source.frames < 2;
      await this.showFrame(this.frame);
      this.setStatus('');
      this.section.dataset.loaded = 'true';
    } catch (e) {
      if (token !== this.loadToken) return;
      this.source = undefined;
      this.raw = undefined;
      this.render();
      this.setStatus(imageErrorMessage(e), () => {
        this.selected = -1;
        void this.select(index);
      });
    }
  }

  private resetView(): void {
    this.view = { zoom: 1, panX: 0, panY: 0 };
    this.win = { ...this.source!.defaultWindow };
    this.invert = false;
  }

  async showFrame(index: number): Promise<void> {
    const source = this.source;
    if (!source) return;
    this.frame = Math.max(0, Math.min(source.frames - 1, index));
    this.slider.value = String(this.frame + 1);
    const text = t('viewer.sliceOf', { n: num(this.frame + 1), total: num(source.frames) });
    this.slider.setAttribute('aria-valuetext', text);
    this.sliceText.textContent = text;
    this.section.dataset.slice = String(this.frame + 1);
    const wanted = this.frame;
    const raw = await source.frame(wanted);
    if (this.source !== source || this.frame !== wanted) return;
    this.raw = raw;
    this.remap();
  }

  /** Re-applies window/level and inversion to the current frame, then draws. */
  private remap(): void {
    const source = this.source;
    if (!source || !this.raw) return;
    if (this.image.width !== source.width || this.image.height !== source.height) {
      this.image.width = source.width;
      this.image.height = source.height;
    }
    const ctx = this.image.getContext('2d')!;
    const data = ctx.createImageData(source.width, source.height);
    applyWindow(this.raw, source.colour, this.win, this.invert !== source.inverted, data.data);
    ctx.putImageData(data, 0, 0);
    this.render();
  }

  private paneSize() {
    return { width: this.stage.clientWidth, height: this.stage.clientHeight };
  }

  render(): void {
    const dpr = window.devicePixelRatio || 1;
    const { width, height } = this.paneSize();
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    const source = this.source;
    if (source && this.raw) {
      const l = layout(this.view, source, { width, height });
      ctx.imageSmoothingEnabled = l.scale < 3; // past 3× show pixels as pixels
      ctx.setTransform(dpr * l.scale, 0, 0, dpr * l.scale, dpr * l.x, dpr * l.y);
      ctx.drawImage(this.image, 0, 0);
      this.drawWatermark(ctx, dpr, width, height);
    }
    this.updateReadout();
  }

  /** The reader's pseudonym and the time, tiled diagonally over the image: on every screenshot. */
  private drawWatermark(ctx: CanvasRenderingContext2D, dpr: number, width: number, height: number): void {
    if (!watermark) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.translate(width / 2, height / 2);
    ctx.rotate(-Math.PI / 7);
    ctx.font = '600 15px system-ui, "NanumGothic", sans-serif';
    ctx.textAlign = 'center';
    ctx.lineWidth = 3;
    // Faint enough to read the image through, strong enough to survive a photo of the screen.
    ctx.strokeStyle = 'rgba(0,0,0,0.2)';
    ctx.fillStyle = 'rgba(255,255,255,0.22)';
    const span = Math.hypot(width, height);
    const stepX = ctx.measureText(watermark).width + 160;
    for (let y = -span / 2, row = 0; y < span / 2; y += 150, row++) {
      for (let x = -span / 2 + (row % 2) * (stepX / 2); x < span / 2; x += stepX) {
        ctx.strokeText(watermark, x, y);
        ctx.fillText(watermark, x, y);
      }
    }
    ctx.restore();
    this.canvas.dataset.watermark = watermark;
  }

  private updateReadout(): void {
    const s = this.section.dataset;
    s.zoom = this.view.zoom.toFixed(3);
    s.panX = this.view.panX.toFixed(1);
    s.panY = this.view.panY.toFixed(1);
    s.windowCenter = this.win.center.toFixed(1);
    s.windowWidth = this.win.width.toFixed(1);
    s.inverted = String(this.invert);
    if (!this.source) {
      this.readout.textContent = '';
      return;
    }
    const text = t('viewer.readout', { zoom: num(this.view.zoom * 100), width: num(this.win.width), level: num(this.win.center) });
    this.readout.textContent = this.invert ? `${text} · ${t('viewer.inverted')}` : text;
  }

  act(action: Action): boolean {
    if (action === 'exam') {
      if (this.files.length > 1) void this.select((this.selected + 1) % this.files.length);
      return this.files.length > 1;
    }
    const source = this.source;
    if (!source) return false;
    const step = 0.1 * Math.max(source.width, source.height) / this.view.zoom;
    switch (action) {
      case 'zoomIn':
      case 'zoomOut':
        this.view = { ...this.view, zoom: clampZoom(this.view.zoom * (action === 'zoomIn' ? 1.25 : 0.8)) };
        break;
      case 'panLeft':
      case 'panRight':
        this.view = { ...this.view, panX: this.view.panX + (action === 'panLeft' ? step : -step) };
        break;
      case 'panUp':
      case 'panDown':
        this.view = { ...this.view, panY: this.view.panY + (action === 'panUp' ? step : -step) };
        break;
      case 'brighter':
      case 'darker':
        this.win = { ...this.win, center: this.win.center + (action === 'brighter' ? -1 : 1) * Math.max(1, this.win.width * 0.05) };
        this.remap();
        return true;
      case 'moreContrast':
      case 'lessContrast':
        this.win = { ...this.win, width: Math.max(2, this.win.width * (action === 'moreContrast' ? 0.9 : 1.1)) };
        this.remap();
        return true;
      case 'nextSlice':
      case 'prevSlice':
        if (source.frames < 2) return false;
        void this.showFrame(this.frame + (action === 'nextSlice' ? 1 : -1));
        return true;
      case 'invert':
        this.invert = !this.invert;
        this.remap();
        return true;
      case 'reset':
        this.resetView();
        this.remap();
        return true;
      default:
        return false;
    }
    this.render();
    return true;
  }

  focus(): void {
    this.canvas.focus();
  }

  private bindPointer(): void {
    let last: { x: number; y: number } | undefined;
    this.canvas.addEventListener('pointerdown', (e) => {
      this.onActivate(this);
      this.canvas.focus();
      this.canvas.setPointerCapture(e.pointerId);
      last = { x: e.clientX, y: e.clientY };
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!last || !this.source) return;
      const dx = e.clientX - last.x;
      const dy = e.clientY - last.y;
      last = { x: e.clientX, y: e.clientY };
      if (e.shiftKey || e.buttons === 2) {
        // Right-left changes contrast (window width), up-down brightness (level), as in PACS.
        const k = Math.max(0.5, this.win.width / 300);
        this.win = { center: this.win.center + dy * k, width: Math.max(2, this.win.width + dx * k) };
        this.remap();
        return;
      }
      const { scale } = layout(this.view, this.source, this.paneSize());
      this.view = { ...this.view, panX: this.view.panX + dx / scale, panY: this.view.panY + dy / scale };
      this.render();
    });
    const end = () => (last = undefined);
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
    this.canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    this.canvas.addEventListener(
      'wheel',
      (e) => {
        if (!this.source) return;
        e.preventDefault();
        const r = this.canvas.getBoundingClientRect();
        this.view = zoomAt(this.view, Math.exp(-e.deltaY * 0.002), this.source, this.paneSize(), e.clientX - r.left, e.clientY - r.top);
        this.render();
      },
      { passive: false },
    );
  }
}

function helpDialog(): HTMLDialogElement {
  const rows = SHORTCUTS.map((s) =>
    el('tr', {}, el('td', {}, ...s.caps.flatMap((c, i) => (i ? [' ', el('kbd', {}, c)] : [el('kbd', {}, c)]))), el('td', {}, t(s.label))),
  );
  const close = el('button', { type: 'button', class: 'close' }, t('viewer.close'));
  const dialog = el(
    'dialog',
    { id: 'help', 'aria-labelledby': 'help-title' },
    el('h2', { id: 'help-title' }, t('viewer.helpTitle')),
    el('p', {}, t('viewer.helpIntro')),
    el('table', {}, el('tbody', {}, ...rows)),
    el('p', {}, t('viewer.helpMouse')),
    close,
  );
  close.addEventListener('click', () => dialog.close());
  return dialog;
}

function showFatal(key: MessageKey, params?: Record<string, string | number>, retry?: () => void): void {
  const box = document.getElementById('message')!;
  box.replaceChildren(el('p', {}, t(key, params)));
  if (retry) {
    const b = el('button', { type: 'button' }, t('viewer.retry'));
    b.addEventListener('click', () => {
      box.replaceChildren();
      box.hidden = true;
      retry();
    });
    box.append(b);
  }
  box.hidden = false;
}

function failureMessage(e: unknown): { key: MessageKey; params?: Record<string, string | number>; retry: boolean } {
  if (!(e instanceof CaseFilesError)) return { key: 'viewer.error.badAnswer', retry: false };
  switch (e.kind) {
    case 'forbidden':
      return { key: 'viewer.error.forbidden', retry: false };
    case 'badRequest':
      return { key: 'viewer.error.noSession', retry: false };
    case 'network':
      return { key: 'viewer.error.network', retry: true };
    case 'server':
      return { key: 'viewer.error.server', params: { status: e.status ?? '?' }, retry: true };
    default:
      return { key: 'viewer.error.badAnswer', retry: false };
  }
}

function startClock(reader: string | undefined, line: HTMLElement, panes: Pane[]): void {
  const fmt = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  const tick = () => {
    const time = fmt.format(new Date());
    watermark = reader ? t('viewer.watermark', { reader, time }) : time;
    line.textContent = reader ? `${t('viewer.reader', { reader })} · ${time}` : time;
    panes.forEach((p) => p.render());
  };
  tick();
  setInterval(tick, 15_000);
}

function buildPanes(data: CaseFiles, main: HTMLElement): Pane[] {
  const byExam = (a: CaseFile, b: CaseFile) => (EXAM_ORDER.indexOf(a.exam) + 99) % 99 - (EXAM_ORDER.indexOf(b.exam) + 99) % 99;
  const eyes: Array<EyeCode | null> = ['OD', 'OS'];
  if (data.files.some((f) => f.eye === null)) eyes.push(null);
  let active: Pane | undefined;
  const activate = (p: Pane) => {
    active?.section.classList.remove('active');
    active = p;
    p.section.classList.add('active');
  };
  const panes = eyes.map((eye) => new Pane(eye, data.files.filter((f) => f.eye === eye).sort(byExam), activate));
  main.replaceChildren(...panes.map((p) => p.section));
  activate(panes[0]);

  const help = helpDialog();
  document.body.append(help);
  document.getElementById('help-button')!.addEventListener('click', () => help.showModal());
  document.addEventListener('keydown', (e) => {
    const action = actionFor(e);
    if (!action || help.open && action !== 'help') return;
    // A focused slider or button keeps its own keys (arrows move a slider, Space presses a button).
    const target = e.target as HTMLElement;
    if (target.tagName === 'INPUT' && action.startsWith('pan')) return;
    if (action === 'help') {
      if (help.open) help.close();
      else help.showModal();
    } else if (action === 'right' || action === 'left') {
      const p = panes[action === 'right' ? 0 : 1];
      activate(p);
      p.focus();
    } else if (!active!.act(action)) return;
    e.preventDefault();
  });
  return panes;
}

async function start(): Promise<void> {
  const url = new URL(location.href);
  let storage: Storage | undefined;
  try {
    storage = sessionStorage;
  } catch {
    storage = undefined; // storage disabled: the session id then lives only in this page
  }
  const read = readConfig(url, window.READROOM_VIEWER, navigator.languages ?? [navigator.language], storage);
  const config = read.config;
  lang = read.lang;
  document.documentElement.lang = lang;
  document.title = t('viewer.title');
  document.getElementById('help-button')!.textContent = t('viewer.helpButton');
  const label = document.getElementById('label')!;
  label.textContent = t('viewer.title');
  if (!config) {
    showFatal('viewer.error.noSession');
    return;
  }
  history.replaceState(null, '', withoutConfig(url));

  const main = document.getElementById('panes')!;
  const loading = el('p', { class: 'loading', role: 'status' }, t('viewer.loading'));
  main.replaceChildren(loading);
  session = new CaseFilesSession(
    () => fetchCaseFiles(config.caseFilesBase, config.sessionId),
    (e) => {
      // A background refresh refused: the session has ended; say so now rather than on the next click.
      if (e instanceof CaseFilesError && e.kind === 'forbidden') showFatal('viewer.error.forbidden');
    },
  );
  let data: CaseFiles;
  try {
    data = await session.refresh();
  } catch (e) {
    loading.remove();
    const f = failureMessage(e);
    showFatal(f.key, f.params, f.retry ? () => void start() : undefined);
    return;
  }
  const caption = data.label.kind === 'read' ? t('viewer.case', { ref: data.label.ref }) : t('viewer.adjudication');
  label.textContent = caption;
  document.title = `${caption} · ${t('viewer.title')}`;
  if (data.files.length === 0) {
    main.replaceChildren();
    showFatal('viewer.error.noImages');
    return;
  }
  const panes = buildPanes(data, main);
  startClock(data.reader, document.getElementById('reader')!, panes);
  // Show each eye's first image, then fetch the rest in the background so switching is instant.
  await Promise.all(panes.map((p) => p.select(0)));
  for (const f of data.files) if (!failed.has(f.id)) await loadSource(f).catch(() => undefined);
  session.keepFresh(false);
}

void start();
