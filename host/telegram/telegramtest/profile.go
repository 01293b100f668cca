package telegramtest

import (
	"context"

	"github.com/mymmrac/telego"
)

// profile is a user's profile photos, newest first, each in several sizes.
type profile struct {
	photos [][]telego.PhotoSize
	hidden bool
}

// profileSides are the square sizes Telegram serves a profile photo in.
var profileSides = []int{160, 320, 640}

// SetProfilePhotos gives user userID profile photos, newest first, each from data (any bytes; the
// fake cannot resize, so every size serves the same bytes). getUserProfilePhotos lists them in
// sizes 160, 320 and 640 px, smallest first, and getFile fetches each size.
func (s *Server) SetProfilePhotos(userID int64, photos ...[]byte) {
	var all [][]telego.PhotoSize
	for _, data := range photos {
		var sizes []telego.PhotoSize
		for _, side := range profileSides {
			f := s.addFile("photos", "", "image/jpeg", data, int64(len(data)))
			sizes = append(sizes, telego.PhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: side, Height: side,
				FileSize: len(data)})
		}
		all = append(all, sizes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world.profiles[userID] = &profile{photos: all}
}

// HideProfilePhotos makes userID's privacy settings hide their photos from bots:
// getUserProfilePhotos answers total_count 0.
func (s *Server) HideProfilePhotos(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.world.profiles[userID]; p != nil {
		p.hidden = true
	} else {
		s.world.profiles[userID] = &profile{hidden: true}
	}
}

func (s *Bot) getUserProfilePhotos(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	uid, e := p.int("user_id", 0)
	if e != nil {
		return nil, e
	}
	offset, e := p.int("offset", 0)
	if e != nil {
		return nil, e
	}
	limit, e := p.int("limit", 100)
	if e != nil {
		return nil, e
	}
	limit = min(max(limit, 1), 100)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.users[uid]; !ok {
		return nil, badRequest("user not found")
	}
	out := telego.UserProfilePhotos{Photos: [][]telego.PhotoSize{}}
	pr := s.state.world.profiles[uid]
	if pr == nil || pr.hidden {
		return out, nil
	}
	out.TotalCount = len(pr.photos)
	if offset >= 0 && int(offset) < len(pr.photos) {
		end := min(int(offset+limit), len(pr.photos))
		out.Photos = pr.photos[offset:end]
	}
	return out, nil
}
