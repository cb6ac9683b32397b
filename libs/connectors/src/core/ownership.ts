/**
 * Ownership rules shared by all connectors: an object is managed only when its name starts with the prefix AND its
 * description/comment contains the marker. Rules that have no name field of their own (pfSense) carry the managed
 * name as the first word of their description.
 */

export function isManaged(name: string, description: string, prefix: string, marker: string): boolean {
  return name.startsWith(prefix) && description.includes(marker);
}

/** Description written on managed objects: the human text followed by the marker. */
export function managedDescription(text: string, marker: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ').trim();
  return clean ? `${clean} ${marker}` : marker;
}

/** Description of a managed rule on vendors without a rule name field: `<name> <marker>`. */
export function ruleDescription(name: string, marker: string): string {
  return `${name} ${marker}`;
}

/** First whitespace-separated word of a description (the managed rule name, when the rule is ours). */
export function firstWord(description: string): string {
  return description.trim().split(/\s+/, 1)[0] ?? '';
}
