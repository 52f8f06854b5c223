// Messages between the dashboard webview and the extension host, typed once for both sides.
// The webview only renders a DashboardModel; every number in it comes from the host.

export type Scenario = 'joint' | 'fixed-precision' | 'fixed-params' | 'inference';
export const SCENARIOS: readonly Scenario[] = ['joint', 'fixed-precision', 'fixed-params', 'inference'];

/** What the user chose in the dashboard; kept in the webview state across reloads. */
export interface DashboardInputs {
  /** Model size and tokens for the precision chart. */
  params: number;
  tokens: number;
  /** Deployment bits for the PTQ chart. */
  post: number;
  compute: number;
  scenario: Scenario;
  /** Training bits for fixed-precision, size for fixed-params, weight memory (GB) for inference. */
  planPrecision: number;
  planParams: number;
  planMemoryGB: number;
}

export type NumericInput = Exclude<keyof DashboardInputs, 'scenario'>;

/** The largest value the host accepts for each numeric input (each must also be above 0). */
export const INPUT_MAX: Readonly<Record<NumericInput, number>> = {
  params: 1e15,
  tokens: 1e16,
  post: 16,
  compute: 1e35,
  planPrecision: 32,
  planParams: 1e15,
  planMemoryGB: 1e6,
};

export interface PointRef {
  label: string;
  file?: string;
  line?: number;
}

export interface XY {
  x: number;
  y: number;
}

export interface DashboardModel {
  inputs: DashboardInputs;
  constantsLabel: string;
  fit?: {
    message: string;
    /** The fit's warnings: runs left out for their values (named), failed stages, constants at a bound. Shown as text. */
    warnings: string[];
    points: Array<{ observed: number; predicted: number; heldOut?: number; kind: 'train' | 'ptq' } & PointRef>;
    /** solver: how the stage's solver ended; gradientNorm its final projected gradient; atBound the constants on a bound. */
    stages: Array<{ name: string; status: string; detail: string; solver?: string; gradientNorm?: number; atBound?: string[] }>;
    /**
     * heldOff: shown instead of the value when the fit held the constant off (its part carried by another).
     * notIdentifiable: shown instead of the value (the data cannot determine it, and why).
     * atBound: the value sits on a bound (in words). intervalFailed: the bootstrap failed for it (why), no interval.
     */
    constants: Array<{ name: string; value: number; low?: number; high?: number; paper: number; origin: string; heldOff?: string; notIdentifiable?: string; atBound?: string; intervalFailed?: string }>;
    /** null where a metric could not be computed, `unavailable` saying why (never NaN). */
    metrics: Array<{ label: string; n: number; r2: number | null; rmse: number | null; mape: number | null; unavailable?: Partial<Record<'r2' | 'rmse' | 'mape' | 'maxAbsError', string>> }>;
    /** Share of the points inside each 95% interval (null: not computed). */
    coverage: Array<{ label: string; n: number; confidence: number | null; prediction: number | null }>;
  };
  precision: {
    /** Where the chosen N and D stand against the constants' runs, in words. */
    domain?: string;
    /** N_eff/N factor of each part against bits (the paper's Figure 3, left). */
    factors: Array<{ part: string; points: XY[] }>;
    /** Predicted loss against training bits (all parts) at the chosen N and D. */
    loss: XY[];
    /** Runs near the chosen size and tokens, at their weight bits. */
    runs: Array<XY & PointRef>;
  };
  ptq: {
    /** Where the far end of the curves stands against the constants' runs, in words. */
    domain?: string;
    post: number;
    /**
     * Loss after PTQ against tokens, one line per model size, with D_crit marked on it (dcrit,
     * one of the line's points). A D_crit beyond the plotted token range is not marked:
     * dcritBeyond gives its token count for the legend.
     */
    sizes: Array<{ params: number; points: XY[]; dcrit?: XY; dcritBeyond?: number }>;
    runs: Array<XY & PointRef & { params: number }>;
  };
  /** Quantized checkpoints of the workspace and the post-quantization predictor (Xu et al.). */
  quantized: {
    /** Every run's weights in every format it was quantized to: x memory (bytes), y loss after. */
    checkpoints: Array<XY & PointRef & { format: string }>;
    /** The ones no smaller checkpoint beats on loss, by memory. */
    frontier: Array<XY & PointRef & { format: string }>;
    /** The predictor's leave-one-size-out errors beside the law's, when a fit computed them. */
    predictor?: {
      message: string;
      features: string[];
      rows: Array<{ params: number; n: number; forestMae?: number; lawMae?: number; lawN?: number; forestOnLawMae?: number; skipped?: string }>;
      pooled?: { n: number; forestMae: number; lawMae?: number; lawN?: number; forestOnLawMae?: number };
    };
  };
  plan: {
    ok: boolean;
    message?: string;
    rows: Array<{
      label: string;
      params: number;
      tokens: number;
      bits: number;
      post?: number;
      /** The realizable format the plan trains in ("8-bit (int8/fp8-e4m3)"); the plan row only. */
      format?: string;
      /** The format the plan serves in (inference scenario). */
      postFormat?: string;
      loss: number;
      margin?: number;
      /** Paired 95% interval of the margin over the fit's bootstrap replicates (workspace fit only). */
      marginInterval?: [number, number];
      /** False where the margin's interval contains 0: indistinguishable from the plan. */
      distinguishable?: boolean;
    }>;
    /** The plan's loss: 95% confidence band of the expected loss and prediction interval for a run (workspace fit only). */
    interval?: { confidence?: [number, number]; prediction?: [number, number] };
    /** What the intervals say in words (indistinguishable alternatives, or why there are none). */
    uncertaintyNotes?: string[];
    /** Predicted loss at the compute-optimal N and D for each training precision, at this compute. */
    isoFlop: XY[];
    optimum?: XY;
    /**
     * Where the plan stands against the runs the constants were fitted on: inside, or the factor
     * beyond in N, D and compute (6ND); `extrapolated` past the threshold; `summary` in words.
     */
    extrapolation?: { inside: boolean; extrapolated: boolean; params: number; tokens: number; compute: number; threshold: number; summary: string; warnings: string[] };
    /** Which constants behind the plan were fitted and which are the preset's, a sentence per group. */
    provenance?: string[];
    /** The planner's notes: the formats chosen among, the continuous optimum (a reference, not a format). */
    planNotes?: string[];
  };
}

export type HostMessage = { type: 'model'; model: DashboardModel };

export type WebviewMessage =
  | { type: 'ready'; inputs?: DashboardInputs }
  | { type: 'inputs'; inputs: DashboardInputs }
  | { type: 'openRun'; file: string; line?: number }
  | { type: 'export'; kind: 'png' | 'csv'; name: string; data: string };
