// The resource limit inputs of a workspace (and of a project's defaults): memory, processes, CPUs.

export type Limits = { memoryMb: string; pids: string; cpus: string };

/** The inputs of the Resources group, with the API's bounds so the browser checks them first. */
const LIMIT_FIELDS: { key: keyof Limits; label: string; min: number; max: number; step: number | 'any' }[] = [
  { key: 'memoryMb', label: 'Memory (MB)', min: 64, max: 262_144, step: 1 },
  { key: 'pids', label: 'Processes', min: 16, max: 1_000_000, step: 1 },
  { key: 'cpus', label: 'CPUs', min: 0.1, max: 256, step: 'any' },
];

/** The limits that were filled in, as numbers; blank fields are left out so the defaults apply. */
export function resourcesOf(limits: Limits): Partial<Record<keyof Limits, number>> {
  const out: Partial<Record<keyof Limits, number>> = {};
  for (const key of Object.keys(limits) as (keyof Limits)[]) {
    if (limits[key].trim()) out[key] = Number(limits[key]);
  }
  return out;
}

/** One number input per limit, ids `${idPrefix}-memoryMb` …; a blank one shows its placeholder. */
export function LimitInputs({
  idPrefix,
  limits,
  placeholder,
  onChange,
}: {
  idPrefix: string;
  limits: Limits;
  placeholder: (key: keyof Limits) => string;
  onChange: (key: keyof Limits, value: string) => void;
}) {
  return (
    <div class="limits">
      {LIMIT_FIELDS.map((f) => (
        <div key={f.key} class="field">
          <label for={`${idPrefix}-${f.key}`}>{f.label}</label>
          <input
            id={`${idPrefix}-${f.key}`}
            type="number"
            inputMode={f.step === 'any' ? 'decimal' : 'numeric'}
            min={f.min}
            max={f.max}
            step={f.step}
            placeholder={placeholder(f.key)}
            value={limits[f.key]}
            onInput={(e) => onChange(f.key, e.currentTarget.value)}
          />
        </div>
      ))}
    </div>
  );
}
