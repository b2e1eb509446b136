package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/httpapi"
)

// The reference "AI Learning API": the application Vigil observes. Its
// behaviour is deterministic so tests can assert exact counts and latencies.

// ChatRequest is the body of POST /api/chat.
type ChatRequest struct {
	Message string `json:"message" validate:"required" doc:"the question for the tutor, at most 4000 characters" example:"What is attention in transformers?"`
}

// ChatUsage counts the tokens of one chat exchange.
type ChatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// ChatResponse is the reply of POST /api/chat.
type ChatResponse struct {
	Reply string    `json:"reply"`
	Model string    `json:"model"`
	Usage ChatUsage `json:"usage"`
}

// User is returned by GET /api/users/:id.
type User struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Level     string    `json:"level"`
	CreatedAt time.Time `json:"created_at"`
}

// LoginRequest is the body of POST /api/login.
type LoginRequest struct {
	Username string `json:"username" validate:"required" example:"learner"`
	Password string `json:"password" validate:"required" example:"correct-horse-battery-staple"`
}

// LoginResponse is the reply of a successful POST /api/login.
type LoginResponse struct {
	Token     string `json:"token"`
	TokenType string `json:"token_type"`
	ExpiresIn int    `json:"expires_in"`
}

// PublicResponse is the reply of GET /api/public.
type PublicResponse struct {
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
}

const (
	// ChatModel names the simulated model.
	ChatModel = "vigil-sim-1"
	// MaxChatMessage bounds a chat message, in characters.
	MaxChatMessage = 4000
	// MaxUserID is the highest user ID the reference API knows.
	MaxUserID = 1000
	// DemoUsername and DemoPassword are the reference API's one account.
	DemoUsername = "learner"
	DemoPassword = "correct-horse-battery-staple"

	// ContextKeyChatTokens holds the ChatUsage of a chat request in the echo
	// context, for usage accounting by middleware.
	ContextKeyChatTokens = "vigil.chat.tokens"
)

var demoPasswordHash = sha256.Sum256([]byte(DemoPassword))

// reference serves the AI Learning API.
type reference struct {
	sleep       func(c echo.Context, d time.Duration) error
	onLoginFail func(c echo.Context, username string)
}

func (r *reference) chat(c echo.Context) error {
	var req ChatRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	msg := strings.TrimSpace(req.Message)
	if msg == "" {
		return echo.NewHTTPError(http.StatusBadRequest, `request body: field "message" must not be empty`)
	}
	if utf8.RuneCountInString(msg) > MaxChatMessage {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(`request body: field "message" exceeds %d characters`, MaxChatMessage))
	}
	resp, latency := simulateChat(msg)
	if err := r.sleep(c, latency); err != nil {
		return err
	}
	c.Set(ContextKeyChatTokens, resp.Usage)
	return c.JSON(http.StatusOK, resp)
}

var chatTopics = []string{
	"gradient descent", "attention", "tokenization", "embeddings",
	"overfitting", "regularization", "transformers", "evaluation",
}

// simulateChat answers deterministically: the same message always gets the
// same reply, token counts and latency (20–120 ms plus 0.5 ms per completion
// token, as a small hosted model would).
func simulateChat(msg string) (ChatResponse, time.Duration) {
	sum := sha256.Sum256([]byte(msg))
	seed := binary.BigEndian.Uint64(sum[:8])
	topic := chatTopics[seed%uint64(len(chatTopics))]
	reply := fmt.Sprintf("Good question. Think of it in terms of %s: start from a small example, "+
		"check your intuition against it, then generalise. (ref %s)", topic, hex.EncodeToString(sum[:4]))
	prompt := tokens(msg)
	completion := tokens(reply)
	latency := 20*time.Millisecond + time.Duration(seed%100)*time.Millisecond +
		time.Duration(completion)*500*time.Microsecond
	return ChatResponse{
		Reply: reply,
		Model: ChatModel,
		Usage: ChatUsage{PromptTokens: prompt, CompletionTokens: completion},
	}, latency
}

// tokens approximates a BPE tokenizer: about four characters a token, at
// least one token a word.
func tokens(s string) int {
	words := len(strings.Fields(s))
	byChars := (utf8.RuneCountInString(s) + 3) / 4
	return max(words, byChars, 1)
}

var userEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func (r *reference) user(c echo.Context) error {
	raw := c.Param("id")
	id, err := strconv.Atoi(raw)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusBadRequest, `path parameter "id": must be a positive integer`)
	}
	if id > MaxUserID {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("user %d not found", id))
	}
	levels := []string{"beginner", "intermediate", "advanced"}
	return c.JSON(http.StatusOK, User{
		ID:        id,
		Name:      fmt.Sprintf("Learner %d", id),
		Email:     fmt.Sprintf("learner%d@example.com", id),
		Level:     levels[id%len(levels)],
		CreatedAt: userEpoch.Add(time.Duration(id) * time.Hour),
	})
}

func (r *reference) login(c echo.Context) error {
	var req LoginRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return echo.NewHTTPError(http.StatusBadRequest, `request body: fields "username" and "password" are required`)
	}
	got := sha256.Sum256([]byte(req.Password))
	userOK := subtle.ConstantTimeCompare([]byte(req.Username), []byte(DemoUsername))
	passOK := subtle.ConstantTimeCompare(got[:], demoPasswordHash[:])
	if userOK&passOK != 1 {
		if r.onLoginFail != nil {
			r.onLoginFail(c, req.Username)
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="vigil"`)
		return echo.NewHTTPError(http.StatusUnauthorized, "invalid username or password")
	}
	token := sha256.Sum256([]byte(req.Username + "|" + time.Now().UTC().Format(time.RFC3339Nano)))
	return c.JSON(http.StatusOK, LoginResponse{
		Token:     hex.EncodeToString(token[:16]),
		TokenType: "Bearer",
		ExpiresIn: 3600,
	})
}

func (r *reference) public(c echo.Context) error {
	return c.JSON(http.StatusOK, PublicResponse{
		Message: "Welcome to the AI Learning API. POST /api/chat to ask a question.",
		Time:    time.Now().UTC().Truncate(time.Second),
	})
}

// referenceOperations documents the reference AI Learning API.
func referenceOperations() []apidocs.Operation {
	tags := []string{"AI Learning API"}
	return []apidocs.Operation{
		{Method: "POST", Path: "/api/chat", Tags: tags, Summary: "Ask the tutor",
			Description: "A deterministic simulated model: the same message always gets the same reply and latency.",
			Request:     ChatRequest{}, RateLimited: true, Responses: apidocs.OK("the reply", ChatResponse{})},
		{Method: "GET", Path: "/api/users/:id", Tags: tags, Summary: "A learner",
			Description: fmt.Sprintf("Learners have IDs 1 to %d; any other positive ID is a 404.", MaxUserID),
			Params: []apidocs.Param{{Name: "id", In: "path", Required: true,
				Schema: apidocs.ParamSchema{Type: "integer", Min: apidocs.Float(1)}, Example: "42"}},
			Responses: apidocs.OK("the learner", User{}), RateLimited: true},
		{Method: "POST", Path: "/api/login", Tags: tags, Summary: "Log in",
			Request: LoginRequest{}, RateLimited: true, Responses: apidocs.OK("a session token", LoginResponse{}),
			Errors: []int{http.StatusUnauthorized}},
		{Method: "GET", Path: "/api/public", Tags: tags, Summary: "Public greeting (rate limited: 10 per minute)",
			RateLimited: true, Responses: apidocs.OK("greeting", PublicResponse{})},
	}
}
