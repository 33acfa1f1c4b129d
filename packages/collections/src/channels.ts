import { maskPhone } from '@loanops/domain';
import type { Logger } from '@loanops/runtime';
import { isPermanentHttpFailure } from './rules/delivery.js';

/** A notification as a channel sends it. */
export interface OutgoingNotification {
  id: number;
  kind: string;
  /** Also sent as the Idempotency-Key: a receiver that sees one twice (a retry after a lost answer) can drop it. */
  dedupeKey: string;
  recipient: string;
  language: 'en' | 'hi';
  message: string | null;
  payload: unknown;
}

/** A failed delivery; `permanent` when trying again cannot help. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

export interface Channel {
  send(notification: OutgoingNotification): Promise<void>;
}

/**
 * The channels a notification row may name. `log` and `webhook` are fixed when a reminder is
 * planned; `legal` names the legal team, and where that goes is decided when it is delivered
 * (see `legalTeamChannel`).
 */
export type Channels = Record<'log' | 'webhook' | 'legal', Channel>;

const PHONE = /^\+?\d{10,13}$/;

/** Writes the notification to the log (info level); phone numbers masked. */
export function logChannel(logger: Logger): Channel {
  return {
    async send(notification) {
      const recipient = PHONE.test(notification.recipient) ? maskPhone(notification.recipient) : notification.recipient;
      logger.info(
        { notificationId: notification.id, kind: notification.kind, recipient, language: notification.language, payload: notification.payload },
        notification.message ?? `notification ${notification.kind}`,
      );
    },
  };
}

/**
 * POSTs the notification as JSON to NOTIFY_WEBHOOK_URL within a timeout. A 2xx is delivered; a
 * 4xx other than 408/429 is permanent (the receiver refuses the message itself); anything else —
 * 5xx, 408, 429, a timeout, a refused connection — is tried again later.
 */
export function webhookChannel(url: string | undefined, timeoutMs: number, setting = 'NOTIFY_WEBHOOK_URL'): Channel {
  return {
    async send(notification) {
      if (!url) throw new DeliveryError(`${setting} is not set`, false);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': notification.dedupeKey },
          body: JSON.stringify({
            id: notification.id,
            kind: notification.kind,
            dedupeKey: notification.dedupeKey,
            recipient: notification.recipient,
            language: notification.language,
            message: notification.message,
            payload: notification.payload,
          }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'could not connect';
        throw new DeliveryError(`webhook ${reason}`, false, { cause: error });
      }
      await response.body?.cancel();
      if (!response.ok) {
        throw new DeliveryError(`webhook answered ${response.status}`, isPermanentHttpFailure(response.status));
      }
    },
  };
}

/**
 * The legal team's channel: a webhook to LEGAL_NOTIFY_WEBHOOK_URL (same body, Idempotency-Key,
 * timeout and retries as the reminders' webhook) when it is set, else the log. It is resolved when
 * a notification is delivered, not when escalation writes it: escalation runs in processes that
 * need not know the address, and a case opened while the address was missing or being changed
 * still reaches the address configured when it goes out, instead of failing against a stale one.
 */
export function legalTeamChannel(url: string | undefined, timeoutMs: number, log: Channel): Channel {
  return url ? webhookChannel(url, timeoutMs, 'LEGAL_NOTIFY_WEBHOOK_URL') : log;
}
