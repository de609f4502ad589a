/**
 * The form engine the server uses, and the only module of the portal that imports it: visibility
 * (`visibleIf` as the domain evaluates it), answer validation and option entries come from the
 * same code as the reader API's, so the portal never disagrees with the server about what is
 * shown, hidden or valid. Today that code lives in lib/config/reading.ts and
 * lambda/shared/domain/; when it moves to domain/ (issue 11), these two import lines are the only
 * ones to repoint.
 */
export {
  caseEyes,
  compileForm,
  eyeContext,
  factContext,
  validateAnswers,
  walkScope,
  type AnswerValue,
  type CaseFacts,
  type CompiledForm,
  type CompiledQuestion,
  type NormalisedAnswers,
  type ScopeAnswers,
  type ValidationError,
  type ValidationRule,
} from '../../../lambda/shared/domain/form-validator';
export { conditionValue, optionEntries, type ChoiceQuestion, type Eye, type Form, type Label, type OptionEntry, type Question, type Section } from '../../../lib/config/reading';
