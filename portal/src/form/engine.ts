/**
 * The form engine the server uses, and the only module of the portal that imports it: visibility
 * (`visibleIf` as the domain evaluates it), answer validation and option entries come from the
 * same `domain/` code as the reader API's, so the portal never disagrees with the server about
 * what is shown, hidden or valid.
 */
export { caseEyes, compileForm, eyeContext, factContext, validateAnswers, walkScope, type CompiledForm, type CompiledQuestion, type ValidationError, type ValidationRule } from '../../../domain/form/validator';
export type { AnswerValue, NormalisedAnswers, ScopeAnswers } from '../../../domain/answers';
export type { CaseFacts } from '../../../domain/case';
export { conditionValue, optionEntries, type ChoiceQuestion, type Eye, type Form, type Label, type OptionEntry, type Question, type Section } from '../../../domain/form/schema';
