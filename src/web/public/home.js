// Home and error pages: only the times need the reader's time zone.
import { localizeTimes } from './lib.js';

localizeTimes();
