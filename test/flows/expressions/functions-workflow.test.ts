import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run, sample } from './helpers.ts';

test('trigger, triggerOutputs, triggerBody', () => {
  assert.equal(run("@trigger()['name']"), 'manual');
  assert.equal(run('@trigger().startTime'), '2018-04-15T12:59:59.1234567Z');
  assert.deepEqual(run('@triggerOutputs().headers'), { 'Content-Type': 'application/json' });
  assert.equal(run("@triggerBody()?['name']"), 'Sophia Owen');
  assert.equal(run("@triggerOutputs()?['body']?['age']"), 42);
});

test('a trigger without outputs (Recurrence) gives null bodies, not errors', () => {
  const ctx = sample({ trigger: { name: 'Recurrence', status: 'Succeeded', code: 'OK' } });
  assert.equal(run('@triggerOutputs()', ctx), null);
  assert.equal(run('@triggerBody()', ctx), null);
  assert.equal(run("@triggerBody()?['x']", ctx), null);
});

test('actions, outputs, body and their aliases actionOutputs, actionBody', () => {
  assert.equal(run("@actions('Get_user').status"), 'Succeeded');
  assert.equal(run("@actions('Get_user').outputs.body.FullName"), 'Contoso Corporation');
  assert.equal(run("@outputs('Get_user')['statusCode']"), 200);
  assert.equal(run("@actionOutputs('Get_user')['statusCode']"), 200);
  assert.equal(run("@body('Get_user')?['Id']"), 283541717);
  assert.equal(run("@actionBody('Get_user')?['Id']"), 283541717);
  assert.equal(run("@body('get_user')?['Id']"), 283541717, 'createContext finds names ignoring case');
  assert.equal(run("@outputs('No_outputs')"), null);
  assert.equal(run("@body('No_outputs')"), null);
});

test('an action that has not run fails the expression', () => {
  assert.equal(
    failure("@body('Missing')?['x']"),
    "The template language expression 'body('Missing')?['x']' cannot be evaluated because the action 'Missing' has not run in this workflow run. Please see https://aka.ms/logicexpressions#body for usage details.",
  );
  assert.match(failure("@actions('Missing')"), /#actions for usage details/);
  assert.match(failure('@body(1)'), /'body' expects its parameter to be a string/);
});

test('result: the records inside a scope', () => {
  const ctx = sample({ results: { Scope: [{ name: 'Inner', status: 'Failed' }] } });
  assert.equal(run("@result('Scope')[0]['status']", ctx), 'Failed');
  assert.match(failure("@result('Other')", ctx), /the action 'Other' has not run/);
});

test('parameters and variables: values by name; unknown names fail', () => {
  assert.equal(run("@parameters('age')"), 42);
  assert.equal(run("@variables('counter')"), 20);
  assert.equal(run("@parameters('AGE')"), 42);
  assert.equal(failure("@parameters('x')"), "The workflow parameter 'x' is not found.");
  assert.equal(failure("@variables('nope')"), "The workflow variable 'nope' is not found.");
  assert.equal(run("@parameters('p')", sample({ parameters: { p: null } })), null, 'a null value is a value');
});

test('workflow(): the workflow record', () => {
  assert.equal(run('@workflow().run.name'), '08586676746934337772206998657CU22');
  assert.equal(run("@workflow()['name']"), 'wf');
});

test('item() and items(): the current items of the loops around the expression', () => {
  const ctx = sample({
    loops: [
      { name: 'For_each', item: { id: 1 } },
      { name: 'Inner_loop', item: 'x' },
    ],
  });
  assert.equal(run('@item()', ctx), 'x');
  assert.equal(run("@items('For_each').id", ctx), 1);
  assert.equal(run("@items('for_each')?['id']", ctx), 1);
  assert.equal(run("@items('Inner_loop')", ctx), 'x');
  assert.equal(
    failure('@item()'),
    "The template language function 'item' can only be used inside a 'foreach' loop. Please see https://aka.ms/logicexpressions#item for usage details.",
  );
  assert.match(
    failure("@items('Nope')", ctx),
    /'items' expects its parameter to name a 'foreach' loop around the expression; 'Nope' is not one\./,
  );
});
