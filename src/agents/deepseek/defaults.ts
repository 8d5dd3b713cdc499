/** DeepSeek's endpoint and model unless configured otherwise (kept apart from the client, which loads `openai`). */
export const DEEPSEEK_DEFAULT_BASE_URL = "https://api.deepseek.com";
export const DEEPSEEK_DEFAULT_MODEL = "deepseek-chat";
