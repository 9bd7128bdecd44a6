import type { ProgressError } from '../client/errors.js';
import { latestRuns, overallState } from '../client/selectors.js';
import { applyProgress, initialProgressState, type ProgressInput, type ProgressState } from '../client/state.js';
import { subscribeProgress, type ProgressSubscription } from '../client/subscribe.js';
import type { ConnectionStatus } from '../client/types.js';
import { WidgetView, type WidgetState } from './view.js';

// Lets this module load where there is no DOM (server rendering, Node): the class is only usable in a browser.
const ElementBase = (typeof HTMLElement === 'undefined' ? class {} : HTMLElement) as typeof HTMLElement;

/**
 * `<sluice-progress base-url user-id token heading>`: live progress of a user's runs.
 * The token can also be set as a property (`element.token = ...`) to keep it out of the DOM.
 * Reflects its state in `data-state` (connecting, idle, running, completed, failed, error) and fires
 * `sluice-state` events when it changes.
 */
export class SluiceProgressElement extends ElementBase {
  static readonly observedAttributes = ['base-url', 'user-id', 'token', 'heading'];
  /** Base URL used without a `base-url` attribute (the served bundle sets it to its own server). */
  static defaultBaseUrl = '/';

  #view: WidgetView | undefined;
  #subscription: ProgressSubscription | undefined;
  #key = '';
  #lastEventId: string | null = null;
  #token: string | undefined;
  #state: ProgressState = initialProgressState();
  #received = false;
  #status: ConnectionStatus = 'connecting';
  #error: ProgressError | null = null;
  /** The server's Redis lost the progress: shown until the fresh snapshot arrives. */
  #interrupted = false;

  get token(): string | undefined {
    return this.#token ?? this.getAttribute('token') ?? undefined;
  }

  set token(value: string | undefined) {
    this.#token = value;
    if (this.isConnected) this.#subscribe();
  }

  connectedCallback(): void {
    this.#view ??= new WidgetView(this.attachShadow({ mode: 'open' }));
    this.#subscribe();
  }

  disconnectedCallback(): void {
    this.#unsubscribe();
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (before === after || !this.isConnected) return;
    if (name === 'heading') this.#render();
    else this.#subscribe();
  }

  /** Closes the stream, remembering where it was: a new token, or the element moved in the page, resumes from there. */
  #unsubscribe(): void {
    if (!this.#subscription) return;
    this.#lastEventId = this.#subscription.lastEventId;
    this.#subscription.close();
    this.#subscription = undefined;
  }

  #subscribe(): void {
    this.#unsubscribe();
    const userId = this.getAttribute('user-id');
    const url = this.getAttribute('base-url') || (this.constructor as typeof SluiceProgressElement).defaultBaseUrl;
    const key = `${url}\n${userId}`;
    // Same user and server: resume from the last event. Another user or server starts over.
    const resumeFrom = key === this.#key ? this.#lastEventId : null;
    if (resumeFrom === null) {
      this.#state = initialProgressState();
      this.#received = false;
    }
    this.#key = key;
    this.#error = null;
    this.#status = 'connecting';
    if (!userId) return this.#render();
    const apply = (input: ProgressInput) => {
      this.#state = applyProgress(this.#state, input);
      this.#received = true;
      this.#render();
    };
    this.#subscription = subscribeProgress({
      url,
      userId,
      token: () => this.token ?? '',
      ...(resumeFrom === null ? {} : { lastEventId: resumeFrom }),
      onEvent: apply,
      onSnapshot: (snapshot) => {
        this.#interrupted = false;
        apply(snapshot);
      },
      onStatus: (status, reason) => {
        this.#status = status;
        if (reason?.code === 'state_lost') this.#interrupted = true;
        this.#render();
      },
      onError: (error) => {
        this.#error = error;
        this.#render();
      },
    });
    this.#render();
  }

  #render(): void {
    if (!this.#view) return;
    const runs = latestRuns(this.#state);
    const state: WidgetState = this.#error ? 'error' : this.#received ? overallState(runs) : 'connecting';
    const changed = this.getAttribute('data-state') !== state;
    this.setAttribute('data-state', state);
    this.#view.render({
      heading: this.getAttribute('heading') ?? 'Importing your data',
      state,
      status: this.#status,
      interrupted: this.#interrupted,
      error: this.#error,
      runs,
      failures: this.#state.failures,
    });
    if (changed) this.dispatchEvent(new CustomEvent('sluice-state', { detail: { state }, bubbles: true, composed: true }));
  }
}

/** Registers the element (once) under `name`; a no-op outside browsers. */
export function defineSluiceProgress(name = 'sluice-progress'): void {
  if (typeof customElements === 'undefined' || customElements.get(name)) return;
  customElements.define(name, name === 'sluice-progress' ? SluiceProgressElement : class extends SluiceProgressElement {});
}
