/**
 * What the HTTP layer needs besides the app: token handling and the poll cache. Built once per API
 * process by `createHttpContext`.
 */
import { randomBytes } from 'node:crypto';
import type { App } from '../app.ts';
import { JoinRate } from '../sales/joinRate.ts';
import { QueueView } from '../sales/queueView.ts';
import { AdmissionTokens, UserTokens } from './auth.ts';
import { ProofOfWork } from './pow.ts';
import { type LagSource, LOAD_LEVELS, LoadShedding } from './shedding.ts';

export interface HttpContext {
  app: App;
  users: UserTokens;
  admission: AdmissionTokens;
  queue: QueueView;
  /** Proof-of-work challenges (src/http/pow.ts), with a key every API process shares. */
  pow: ProofOfWork;
  /** New tickets per second per sale, across processes: a sale's difficulty rises with it. */
  joinRate: JoinRate;
  /** This process's load level, from its event-loop lag: what is shed, how slowly waiters poll. */
  load: LoadShedding;
  /** Operators' key: FLASHSALE_ADMIN_KEY, or generated at start (printed by `npm start`). */
  adminKey: string;
}

/**
 * The admission key must be the same in every API process. FLASHSALE_ADMISSION_KEY gives it
 * explicitly; otherwise the shape shares one through PostgreSQL (the first process to start stores a
 * fresh key; never Redis, whose data may vanish), and a shape of one process uses a fresh key.
 */
function admissionPem(app: App): Promise<string | null> {
  if (app.config.admissionKey !== null) return Promise.resolve(app.config.admissionKey);
  return app.shape.sharedAdmissionKey(() => AdmissionTokens.generatePem());
}

/** The proof-of-work key: shared through the shape (PostgreSQL), or this process's own. */
async function powSecret(app: App): Promise<string> {
  return (
    (await app.shape.sharedSecret('pow-key', ProofOfWork.generateSecret)) ?? ProofOfWork.generateSecret()
  );
}

export interface HttpContextOptions {
  /** Where the load level's lag comes from; by default this process's event loop (tests inject one). */
  lag?: LagSource;
}

export async function createHttpContext(app: App, options: HttpContextOptions = {}): Promise<HttpContext> {
  const secret = app.config.userSecret ?? randomBytes(32).toString('base64url');
  const queue = new QueueView(app.engine, app.clock, { heartbeatMs: app.config.heartbeatMs });
  return {
    app,
    users: new UserTokens(secret),
    admission: await AdmissionTokens.create(
      await admissionPem(app),
      app.config.admissionKeyPrevious,
      app.clock,
    ),
    queue,
    pow: new ProofOfWork(await powSecret(app), app.config.pow.ttlSeconds * 1000),
    joinRate: new JoinRate((saleId) => queue.snapshot(saleId)),
    load: new LoadShedding(app.config.maxEventLoopDelayMs, options.lag, (level, lagMs) =>
      app.log.warn({ level: LOAD_LEVELS[level], lagMs: Math.round(lagMs) }, 'load level changed'),
    ),
    adminKey: app.config.adminKey ?? randomBytes(24).toString('base64url'),
  };
}
