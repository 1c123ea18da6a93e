import { embeddedShape } from '../pipeline/shapes.ts';
import { describeProofOfWork } from './pow.contract.ts';

describeProofOfWork(embeddedShape);
