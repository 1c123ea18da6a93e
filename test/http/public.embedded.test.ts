import { embeddedShape } from '../pipeline/shapes.ts';
import { describePublicApi } from './public.contract.ts';

describePublicApi(embeddedShape);
