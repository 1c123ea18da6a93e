import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import nodemailer from 'nodemailer';
import type { OrderStore } from '../db/orderStore.ts';
import type { AnalyticsJob, NotificationJob } from './orderJobs.ts';

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

/**
 * The shop knows its users' addresses; flashsale knows user ids. The user id is used as the address
 * (shops whose ids are not e-mail addresses put a relay in front, or plug in their own Mailer).
 */
export function notificationHandler(mailer: Mailer) {
  return async ({ data }: { data: NotificationJob }): Promise<void> => {
    const confirmed = data.kind === 'order_confirmed';
    await mailer.send({
      to: data.userId,
      subject: confirmed ? `Order ${data.orderId} confirmed` : `Order ${data.orderId} could not be completed`,
      text: confirmed
        ? `Your order of ${data.quantity} item(s) for ${money(data.amountCents, data.currency)} is confirmed.`
        : `Your order could not be completed (${data.reason ?? 'unknown reason'}). You have not been charged.`,
      meta: data,
    });
  };
}

export function analyticsHandler(store: Pick<OrderStore, 'recordEvent'>) {
  return async ({ data }: { data: AnalyticsJob }): Promise<void> => {
    await store.recordEvent(data.saleId, data.type, data.userId, data.payload);
  };
}
