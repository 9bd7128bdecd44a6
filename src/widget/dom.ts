type AttributeValue = string | number | boolean | undefined;

/**
 * Builds an element. Children given as strings become text nodes, so untrusted text (failure
 * reasons, pipeline names) is never parsed as HTML: the widget has no innerHTML anywhere.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, AttributeValue> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) setAttribute(element, name, value);
  element.append(...children);
  return element;
}

/** Sets, or removes for undefined/false, an attribute; writes only on change to spare the DOM and screen readers. */
export function setAttribute(element: Element, name: string, value: AttributeValue): void {
  const next = value === undefined || value === false ? null : value === true ? '' : String(value);
  if (element.getAttribute(name) === next) return;
  if (next === null) element.removeAttribute(name);
  else element.setAttribute(name, next);
}

export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
