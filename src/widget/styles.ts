/**
 * The widget's stylesheet. Everything visible is a CSS custom property with a readable default
 * (text contrast at least 4.5:1 on the default background), so a host page themes it from outside:
 * `sluice-progress { --sluice-accent: #7c3aed; --sluice-font: Inter, sans-serif; }`.
 */
export const STYLES = `
:host {
  --_accent: var(--sluice-accent, #0969da);
  --_bg: var(--sluice-bg, #ffffff);
  --_fg: var(--sluice-fg, #1f2328);
  --_muted: var(--sluice-muted, #59636e);
  --_track: var(--sluice-track, #eef1f4);
  --_border: var(--sluice-border, #d1d9e0);
  --_danger: var(--sluice-danger, #c4232e);
  --_success: var(--sluice-success, #1a7f37);
  display: block;
  font-family: var(--sluice-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: var(--sluice-font-size, 14px);
  line-height: 1.45;
  color: var(--_fg);
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--sluice-radius, 8px);
  padding: var(--sluice-padding, 16px);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
header { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin-bottom: 12px; }
h2 { font-size: 1.1em; margin: 0; font-weight: 600; }
.connection { font-size: 0.85em; color: var(--_muted); white-space: nowrap; }
.connection[data-status="live"]::before { content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px; border-radius: 50%; background: var(--_success); }
.connection[data-status="error"] { color: var(--_danger); }
ol.runs { list-style: none; margin: 0; padding: 0; display: grid; gap: 14px; }
.run-head { display: flex; justify-content: space-between; gap: 12px; font-weight: 600; }
.percent { font-variant-numeric: tabular-nums; color: var(--_muted); font-weight: 400; }
.bar { height: 8px; margin: 6px 0; border-radius: 4px; background: var(--_track); border: 1px solid var(--_border); overflow: hidden; }
.fill { height: 100%; width: 0; background: var(--_accent); transition: width 300ms ease-out; }
.bar:not([aria-valuenow]) .fill { width: 30%; opacity: 0.5; }
.run[data-status="failed"] .fill { background: var(--_danger); }
.run[data-status="completed"] .fill { background: var(--_success); }
.summary { color: var(--_muted); font-size: 0.9em; font-variant-numeric: tabular-nums; }
.run[data-status="failed"] .summary { color: var(--_danger); }
button.toggle {
  font: inherit; font-size: 0.85em; color: var(--_accent); background: none; border: none;
  padding: 2px 0; margin-top: 2px; cursor: pointer; text-decoration: underline; text-underline-offset: 2px;
}
button.toggle:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; border-radius: 2px; }
.details { margin-top: 6px; font-size: 0.9em; }
.details[hidden] { display: none; }
dl { display: grid; grid-template-columns: max-content max-content; gap: 2px 12px; margin: 0 0 8px; }
dt { color: var(--_muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; }
h3 { font-size: 1em; margin: 8px 0 4px; }
ul.failures { margin: 0; padding: 0 0 0 18px; max-height: 12em; overflow: auto; }
ul.failures li { margin: 2px 0; overflow-wrap: anywhere; }
.item-id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.95em; }
.reason { color: var(--_danger); }
.footer { margin: 14px 0 0; font-weight: 600; }
.footer:empty { display: none; }
:host([data-state="completed"]) .footer { color: var(--_success); }
:host([data-state="failed"]) .footer, :host([data-state="error"]) .footer { color: var(--_danger); }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@media (prefers-reduced-motion: reduce) { .fill { transition: none; } }
`;
