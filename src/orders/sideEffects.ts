import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import nodemailer from 'nodemailer';
import type { OrderStore } from '../db/orderStore.ts';
import { orderNumberOf } from '../domain/order.ts';
import { parseOrderId } from './checkout.ts';
import type { JobQueue } from './jobs/types.ts';
import type { AnalyticsJob, MailJob, NotificationJob } from './orderJobs.ts';

/** Side effects of an order, each a job of its own so a slow mail server never delays an order. */
export interface Mailer {
  send(message: { to: string; subject: string; text: string; meta: NotificationJob }): Promise<void>;
}

/** Without SMTP_URL, messages land in a JSON-lines file: one line a message, easy to tail or test. */
export class OutboxMailer implements Mailer {
  constructor(private readonly path: string) {}

  async send(message: { to: string; subject: string; text: string; meta: NotificationJob }): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify({ at: new Date().toISOString(), ...message })}\n`);
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(message: { to: string; subject: string; text: string }): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
    });
  }
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** Messages of one job sent at once at most; an SMTP server takes a few connections, not hundreds. */
const SEND_AT_ONCE = 8;

export interface NotificationOptions {
  /** Told of each message not sent because its order has no address. */
  onSkipped?: (data: NotificationJob) => void;
  /**
   * Adds a job of its own for each message of a batch that failed, so the messages already sent do
   * not go again when it is retried. Without it a failure fails the whole job (retried whole).
   */
  retryAlone?: (failed: NotificationJob[]) => Promise<void>;
}

/**
 * Sends the messages of a MailJob. The address comes from the user token's `email` claim or, when
 * the shop's token has none, from the checkout form. A user id is never used as an address: an order
 * without one sends no message (the order page still shows its outcome).
 * A job of one message that fails is retried by the queue; in a batch, the failed messages become
 * jobs of one (options.retryAlone) and the batch completes. Only when that enqueue fails too does the
 * batch fail and go again whole: then some messages are sent twice (messages are at least once).
 */
export function notificationHandler(mailer: Mailer, options: NotificationOptions = {}) {
  const sendOne = async (data: NotificationJob): Promise<void> => {
    if (typeof data.email !== 'string' || data.email.length === 0) {
      options.onSkipped?.(data);
      return;
    }
    const confirmed = data.kind === 'order_confirmed';
    const number = orderNumberOf(data.orderId);
    await mailer.send({
      to: data.email,
      subject: confirmed ? `Order ${number} confirmed` : `Order ${number} could not be completed`,
      text: confirmed
        ? `Your order ${number} of ${data.quantity} item(s) for ${money(data.amountCents, data.currency)} is confirmed.`
        : `Your order ${number} could not be completed (${data.reason ?? 'unknown reason'}). You have not been charged.`,
      meta: data,
    });
  };
  return async ({ data }: { data: MailJob }): Promise<void> => {
    const failed: NotificationJob[] = [];
    let error: unknown = null;
    for (let i = 0; i < data.mails.length; i += SEND_AT_ONCE) {
      await Promise.all(
        data.mails.slice(i, i + SEND_AT_ONCE).map((mail) =>
          sendOne(mail).catch((cause: unknown) => {
            failed.push(mail);
            error = cause;
          }),
        ),
      );
    }
    if (failed.length === 0) return;
    if (data.mails.length === 1 || options.retryAlone === undefined) throw error;
    await options.retryAlone(failed);
  };
}

/**
 * NotificationOptions.retryAlone on a notifications queue: each failed message as a job of one whose
 * id is `<kind>-<holdId>`, so adding the same retry twice adds one job.
 */
export function retryEachAlone(queue: JobQueue<MailJob>) {
  return async (failed: NotificationJob[]): Promise<void> => {
    await queue.addBulk(
      failed.map((mail) => ({
        name: 'mails',
        data: { mails: [mail] },
        options: { jobId: `${mail.kind}-${parseOrderId(mail.orderId)?.holdId ?? mail.orderId}` },
      })),
    );
  };
}

export function analyticsHandler(store: Pick<OrderStore, 'recordEvent'>) {
  return async ({ data }: { data: AnalyticsJob }): Promise<void> => {
    await store.recordEvent(data.saleId, data.type, data.userId, data.payload);
  };
}
