import { embeddedShape } from '../pipeline/shapes.ts';
import { describeMetrics } from './metrics.contract.ts';

describeMetrics(embeddedShape);
