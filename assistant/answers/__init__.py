"""Answers: the engine that condenses a follow-up, retrieves, writes an extractive or generated answer and checks
every citation (`engine`), the LLM backends (`llm`), every prompt (`prompts`), the conversation store
(`conversation`) and the same engine in llama-index's shapes (`chat_engine`)."""
