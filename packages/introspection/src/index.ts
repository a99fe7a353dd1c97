export {
  INTROSPECTION_FIELD_NAMES,
  findIntrospectionFields,
  findIntrospectionFieldsInDocument,
  introspectionMessage,
} from './detect.js';
export { INTROSPECTION_PLUGIN_DEFAULTS } from './options.js';
export type {
  IntrospectionPluginOptions,
  IntrospectionPolicy,
  NoIntrospectionRuleOptions,
} from './options.js';
export { createNoIntrospectionRule } from './rule.js';
export { checkIntrospection, introspectionPlugin } from './plugin.js';
export type { IntrospectionRefusal } from './plugin.js';
export {
  hasSuggestion,
  stripSuggestions,
  stripSuggestionsFromError,
  suggestionsPlugin,
  withoutSuggestions,
} from './suggestions.js';
export type { FormatError } from './suggestions.js';
