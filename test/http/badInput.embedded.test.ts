import { embeddedShape } from '../pipeline/shapes.ts';
import { describeBadInput } from './badInput.contract.ts';

describeBadInput(embeddedShape);
