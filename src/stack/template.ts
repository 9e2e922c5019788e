/**
 * Fills `{{NAME}}` placeholders. Strict both ways, because a silently unfilled placeholder would
 * reach Kafka as a literal and fail far from the cause.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  const missing = new Set<string>();
  const used = new Set<string>();
  const rendered = template.replace(/\{\{\s*([A-Z0-9_]+)\s*\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    const text = String(value);
    // A line break would let a value inject extra properties.
    if (/[\r\n]/.test(text)) throw new Error(`template value ${name} contains a line break`);
    used.add(name);
    return text;
  });
  if (missing.size > 0) throw new Error(`template needs values for: ${[...missing].join(', ')}`);
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`template has no placeholder for: ${unused.join(', ')}`);
  const leftover = /\{\{[^}]*\}\}/.exec(rendered);
  if (leftover) throw new Error(`template has a malformed placeholder: ${leftover[0]}`);
  return rendered;
}
