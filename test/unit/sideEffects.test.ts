/**
 * Confirmation messages: through nodemailer to a real SMTP server (smtp-server on loopback) when
 * SMTP_URL is set, else appended to a JSON-lines outbox file.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import type { NotificationJob } from '../../src/orders/orderJobs.ts';
import { type Mailer, notificationHandler, OutboxMailer, SmtpMailer } from '../../src/orders/sideEffects.ts';

/** The order number of the id above: its first 40 bits (0f1e2d3c4b) in Crockford base32. */
const NUMBER = '1WF2-TF2B';

const job = (kind: NotificationJob['kind']): NotificationJob => ({
  kind,
  orderId: 'sale-1.0f1e2d3c-4b5a-4697-8877-665544332211',
  saleId: 'sale-1',
  userId: 'u_481529ff',
  email: 'ada@example.com',
  quantity: 2,
  amountCents: 25_800,
  currency: 'EUR',
  reason: kind === 'order_failed' ? 'payment_declined:card_declined' : null,
});

describe('confirmation messages', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup) await fn();
  });

  it('appends one JSON line per message to the outbox file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nested', 'outbox.jsonl');
    const send = notificationHandler(new OutboxMailer(path));
    await send({ data: { mails: [job('order_confirmed')] } });
    await send({ data: { mails: [job('order_failed')] } });
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ to: 'ada@example.com', subject: `Order ${NUMBER} confirmed` });
    expect(lines[0].text).toContain('258.00 EUR');
    expect(lines[1].text).toContain('payment_declined:card_declined');
    // Addressed to the e-mail, never to the user id.
    expect(lines.map((l) => l.to)).toEqual(['ada@example.com', 'ada@example.com']);
  });

  it('sends the messages of a batch once each; a failed one is retried alone, the others not again', async () => {
    const sent: string[] = [];
    const flaky: Mailer = {
      send: async (m) => {
        if (m.to.startsWith('bounce')) throw new Error('injected: 451 try again later');
        sent.push(m.to);
      },
    };
    const mails = Array.from({ length: 20 }, (_, i) => ({
      ...job('order_confirmed'),
      email: i % 7 === 3 ? `bounce-${i}@example.com` : `buyer-${i}@example.com`,
    }));
    const alone: string[] = [];
    const send = notificationHandler(flaky, {
      retryAlone: async (failed) => {
        alone.push(...failed.map((m) => m.email as string));
      },
    });
    await send({ data: { mails } });
    expect(sent.sort()).toEqual(
      mails
        .map((m) => m.email)
        .filter((e) => !e.startsWith('bounce'))
        .sort(),
    );
    expect(alone.sort()).toEqual(['bounce-10@example.com', 'bounce-17@example.com', 'bounce-3@example.com']);
    // A job of one that fails is the queue's to retry; so is a batch whose retries cannot be added.
    await expect(send({ data: { mails: [mails[3] as NotificationJob] } })).rejects.toThrow(/451/);
    const stuck = notificationHandler(flaky, { retryAlone: () => Promise.reject(new Error('queue away')) });
    await expect(stuck({ data: { mails } })).rejects.toThrow(/queue away/);
  });

  it('sends nothing when the order has no address, and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'outbox.jsonl');
    const skipped: string[] = [];
    const send = notificationHandler(new OutboxMailer(path), {
      onSkipped: (data) => skipped.push(data.orderId),
    });
    await send({ data: { mails: [{ ...job('order_confirmed'), email: null }] } });
    await send({ data: { mails: [{ ...job('order_confirmed'), email: undefined }] } });
    expect(skipped).toEqual([job('order_confirmed').orderId, job('order_confirmed').orderId]);
    await expect(readFile(path, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('sends through SMTP when SMTP_URL is set', async () => {
    const received: { from: string; to: string[]; body: string }[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let body = '';
        stream.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            body,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.server.address() as AddressInfo;
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${port}`, 'shop <no-reply@shop.test>');
    await notificationHandler(mailer)({ data: { mails: [job('order_confirmed')] } });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ from: 'no-reply@shop.test', to: ['ada@example.com'] });
    expect(received[0]?.body).toContain(`Subject: Order ${NUMBER} confirmed`);
  });
});
