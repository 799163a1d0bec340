import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { functionRuntime, invocation } from '../adapters/lambda-runtime.ts';
import { answerUrlRequest } from './api.ts';

/** The query function behind a Function URL with AWS_IAM auth (payload format 2.0). */
export const handler = async (event: LambdaFunctionURLEvent, context: Context) => {
  const rt = functionRuntime('query');
  return invocation(rt, context, () => answerUrlRequest(event, rt.store));
};
