import { describePipelineContract } from './pipeline.contract.ts';
import { embeddedShape } from './shapes.ts';

describePipelineContract(embeddedShape, { orders: 10_000 });
