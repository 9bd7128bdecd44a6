import { useEffect, useReducer, useRef } from 'react';
import { applyProgress, initialProgressState, type ProgressInput, type ProgressState } from '../client/state.js';
import { subscribeProgress } from '../client/subscribe.js';
import type { ProgressError } from '../client/errors.js';
import type { TokenSource } from '../client/endpoints.js';
import type { ConnectionStatus } from '../client/types.js';

export interface OnboardingProgressOptions {
  /** Base URL of the progress server. */
  url: string;
  userId: string;
  token: TokenSource;
}

export interface OnboardingProgress extends ProgressState {
  status: ConnectionStatus;
  /** The error that stopped the subscription (401, 403...), else null. */
  error: ProgressError | null;
}

type Action =
  | { type: 'progress'; input: ProgressInput }
  | { type: 'status'; status: ConnectionStatus }
  | { type: 'error'; error: ProgressError }
  | { type: 'reset' }
  | { type: 'resume' };

const initial = (): OnboardingProgress => ({ ...initialProgressState(), status: 'connecting', error: null });

function reduce(state: OnboardingProgress, action: Action): OnboardingProgress {
  switch (action.type) {
    case 'progress': {
      const next = applyProgress(state, action.input);
      return next === state ? state : { ...state, runs: next.runs, failures: next.failures };
    }
    case 'status':
      return state.status === action.status ? state : { ...state, status: action.status };
    case 'error':
      return { ...state, status: 'error', error: action.error };
    case 'reset':
      return initial();
    case 'resume':
      return { ...state, status: 'connecting', error: null };
  }
}

/**
 * Live progress of a user's runs: the state of `applyProgress` plus the connection status.
 * A new token (refreshed) resumes from the last event; a new user or URL starts over.
 */
export function useOnboardingProgress({ url, userId, token }: OnboardingProgressOptions): OnboardingProgress {
  const [state, dispatch] = useReducer(reduce, undefined, initial);
  // Where the previous subscription stopped, so a token change resumes instead of starting over.
  const resume = useRef<{ key: string; lastEventId: string | null }>({ key: '', lastEventId: null });
  // A token function is read through a ref: an inline arrow must not resubscribe on every render.
  const latestToken = useRef(token);
  latestToken.current = token;
  const tokenKey = typeof token === 'function' ? null : token;

  useEffect(() => {
    const key = `${url}\n${userId}`;
    const from = resume.current.key === key ? resume.current.lastEventId : null;
    dispatch({ type: from === null ? 'reset' : 'resume' });
    const subscription = subscribeProgress({
      url,
      userId,
      token: tokenKey ?? (() => (latestToken.current as Exclude<TokenSource, string>)()),
      ...(from === null ? {} : { lastEventId: from }),
      onEvent: (input) => dispatch({ type: 'progress', input }),
      onSnapshot: (input) => dispatch({ type: 'progress', input }),
      onStatus: (status) => dispatch({ type: 'status', status }),
      onError: (error) => dispatch({ type: 'error', error }),
    });
    return () => {
      resume.current = { key, lastEventId: subscription.lastEventId };
      subscription.close();
      dispatch({ type: 'status', status: 'closed' });
    };
  }, [url, userId, tokenKey]);

  return state;
}
