import { embeddedShape } from '../pipeline/shapes.ts';
import { describeAdminApi } from './admin.contract.ts';

describeAdminApi(embeddedShape);
