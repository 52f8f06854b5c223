import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fit } from '../../src/fit/fit';
import { fitSummary } from '../../src/extension/fitSummary';
import { PAPER_CONSTANTS } from '../../src/law/constants';
import { paperLikeSweep } from '../support/synthetic';

describe('the notification after a fit', () => {
  it('says what the user got — runs, R², the held-out error — not the stage names', () => {
    const r = fit(paperLikeSweep({ ...PAPER_CONSTANTS, Cw: 1.5, Ca: 0.8, Ckv: 2 }, 0.003, 8, 0.6), { bootstrap: 0 });
    const text = fitSummary(r);
    assert.match(text, /^Fitted the scaling law to \d+ runs \(R² 0\.\d{3}\); the largest size \(N = [\d.]+[KMB]\) held out is predicted within \d+\.\d{2}% on average\. Hovers, the dashboard and plans now use it\./);
    assert.doesNotMatch(text, /chinchilla|precision, ptq|joint/);
  });
});
