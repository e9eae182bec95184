#!/usr/bin/env escript
%% Real ETS as the oracle of the differential test.
%%
%% Input: sequences, each the Erlang term `{TableType, [Op, ...]}.`, read
%% from the file named on the command line (file:consult) or, without an
%% argument, from stdin one term at a time (the test keeps one driver per
%% table type running and sends it every sequence).
%% Output: one line per operation, its result printed with ~w (binaries as
%% byte lists, so the output is unambiguous), `{'$error',badarg}` when ETS
%% raises badarg, then the line `done` after each sequence. Every sequence
%% gets a new table.
%%
%% Operations (Obj is {Key, Value}; Spec an ETS match spec):
%%   {insert, [Obj]}  {insert_new, [Obj]}  {lookup, K}  {member, K}
%%   {delete, K}  {delete_object, Obj}  delete_all_objects  {take, K}
%%   {update_counter, K, UpdateOp}  {update_counter, K, UpdateOp, DefaultObj}
%%   first  last  {next, K}  {prev, K}
%%   walk_next (first, then next to the end: the keys)  walk_prev (last, prev…)
%%   {select, Spec}  {select, Spec, Limit} (every chunk, following continuations)
%%   {select_count, Spec}  {select_delete, Spec}  {select_replace, Spec}
%%   {select_reverse, Spec}  {select_reverse, Spec, Limit} (every chunk)
%%   {match, Pattern}  {match, Pattern, Limit}  {match_object, Pattern}
%%   {match_object, Pattern, Limit} (every chunk)  {match_delete, Pattern}
%%   {lookup_element, K, Pos}  {update_element, K, {Pos, V} | [{Pos, V}]}
%%   tab2list
-mode(compile).

main([File]) ->
    {ok, Sequences} = file:consult(File),
    lists:foreach(fun run_sequence/1, Sequences);
main([]) ->
    read_loop().

read_loop() ->
    case io:read(standard_io, '') of
        {ok, Sequence} -> run_sequence(Sequence), read_loop();
        eof -> ok;
        {error, Reason} -> io:format("{'$error',{read,~w}}~n", [Reason]), halt(1)
    end.

run_sequence({Type, Ops}) ->
    Table = ets:new(differential, [Type, public]),
    lists:foreach(fun(Op) -> io:format("~w~n", [outcome(Table, Type, Op)]) end, Ops),
    ets:delete(Table),
    io:format("done~n").

outcome(Table, Type, Op) ->
    try run(Table, Type, Op)
    catch error:badarg -> {'$error', badarg};
          Class:Reason -> {'$error', {Class, Reason}}
    end.

%% OTP 23-25 store a list insert into a bag in reverse list order (fixed in
%% later releases; the docs say list order, and Heirloom follows the docs).
%% For bags the driver therefore inserts a list one object at a time, which
%% is what a list insert means; insert_new keeps ETS's all-or-nothing answer
%% and puts the new keys' objects back in list order.
run(T, bag, {insert, Objects}) ->
    lists:foreach(fun(O) -> ets:insert(T, O) end, Objects), true;
run(T, bag, {insert_new, Objects}) ->
    Inserted = ets:insert_new(T, Objects),
    Inserted andalso reinsert_in_order(T, Objects),
    Inserted;
run(T, _, {insert, Objects}) -> ets:insert(T, Objects);
run(T, _, {insert_new, Objects}) -> ets:insert_new(T, Objects);
run(T, _, {lookup, K}) -> ets:lookup(T, K);
run(T, _, {member, K}) -> ets:member(T, K);
run(T, _, {delete, K}) -> ets:delete(T, K);
run(T, _, {delete_object, O}) -> ets:delete_object(T, O);
run(T, _, delete_all_objects) -> ets:delete_all_objects(T);
run(T, _, {take, K}) -> ets:take(T, K);
run(T, _, {update_counter, K, U}) -> ets:update_counter(T, K, U);
run(T, _, {update_counter, K, U, Default}) -> ets:update_counter(T, K, U, Default);
run(T, _, first) -> ets:first(T);
run(T, _, last) -> ets:last(T);
run(T, _, {next, K}) -> ets:next(T, K);
run(T, _, {prev, K}) -> ets:prev(T, K);
run(T, _, walk_next) -> walk(T, ets:first(T), fun ets:next/2);
run(T, _, walk_prev) -> walk(T, ets:last(T), fun ets:prev/2);
run(T, _, {select, Spec}) -> ets:select(T, Spec);
run(T, _, {select, Spec, Limit}) -> chunks(ets:select(T, Spec, Limit), fun ets:select/1);
run(T, _, {select_count, Spec}) -> ets:select_count(T, Spec);
run(T, _, {select_delete, Spec}) -> ets:select_delete(T, Spec);
run(T, _, {select_replace, Spec}) -> ets:select_replace(T, Spec);
run(T, _, {select_reverse, Spec}) -> ets:select_reverse(T, Spec);
run(T, _, {select_reverse, Spec, Limit}) -> chunks(ets:select_reverse(T, Spec, Limit), fun ets:select_reverse/1);
run(T, _, {match, Pattern}) -> ets:match(T, Pattern);
run(T, _, {match, Pattern, Limit}) -> chunks(ets:match(T, Pattern, Limit), fun ets:match/1);
run(T, _, {match_object, Pattern}) -> ets:match_object(T, Pattern);
run(T, _, {match_object, Pattern, Limit}) -> chunks(ets:match_object(T, Pattern, Limit), fun ets:match_object/1);
run(T, _, {match_delete, Pattern}) -> ets:match_delete(T, Pattern);
run(T, _, {lookup_element, K, Pos}) -> ets:lookup_element(T, K, Pos);
run(T, _, {update_element, K, Update}) -> ets:update_element(T, K, Update);
run(T, _, tab2list) -> ets:tab2list(T).

reinsert_in_order(T, Objects) ->
    lists:foreach(fun({K, _}) -> ets:delete(T, K) end, Objects),
    lists:foreach(fun(O) -> ets:insert(T, O) end, Objects).

walk(_, '$end_of_table', _) -> [];
walk(T, K, Step) -> [K | walk(T, Step(T, K), Step)].

chunks('$end_of_table', _) -> [];
chunks({Results, Continuation}, Next) -> [Results | chunks(Next(Continuation), Next)].
